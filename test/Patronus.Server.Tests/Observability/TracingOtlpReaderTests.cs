using Patronus.Server.Tests.TestSupport;

namespace Patronus.Server.Tests.Observability;

/// <summary>
/// The test-side protobuf reader and OTLP decoder. The golden request is encoded by protoc (an
/// independent protobuf implementation), from the OTLP field numbers:
/// <code>
/// apt-get install protobuf-compiler   # libprotoc 3.21.12
/// protoc --encode=otlp.ExportTraceServiceRequest otlp_subset.proto &lt; request.txt | xxd -p
/// </code>
/// where <c>otlp_subset.proto</c> declares the messages of opentelemetry-proto the decoder reads
/// (plus Span.Event, ArrayValue, bytes values and schema URLs, which it must skip) with their real
/// field numbers, and <c>request.txt</c> is the text form of <see cref="GoldenRequest"/>'s content:
/// one resource (string, int, bool, double and array attributes), one scope
/// (<c>Microsoft.AspNetCore</c> 10.0.0), a server span with flags 257 and two attributes, and an
/// internal child span with trace state, a negative int and a bytes attribute, 3 dropped
/// attributes, one event and status error "no path".
/// </summary>
public sealed class TracingOtlpReaderTests
{
    private static readonly byte[] GoldenRequest = Convert.FromHexString(
        "0aeb030a590a1a0a0c736572766963652e6e616d65120a0a08706174726f6e75730a0a0a0370696412031892210a0b0a056465627567120210010a110a046c6f6164" +
        "120921000000000000d03f0a0f0a047461677312072a050a030a016112e4020a1e0a144d6963726f736f66742e4173704e6574436f7265120631302e302e301294" +
        "010a104bf92f3577b34da6a3ce929d0e0e4736120800f067aa0ba902b72a16474554202f6170692f76312f70617468732f7b69647d30023900002a36fe9c971741" +
        "40423936fe9c97174a200a19687474702e726573706f6e73652e7374617475735f636f6465120318c8014a220a0a687474702e726f75746512140a122f6170692f" +
        "76312f70617468732f7b69647d8501010100001281010a104bf92f3577b34da6a3ce929d0e0e4736120801020304050607081a036b3d76220800f067aa0ba902b7" +
        "2a116661696c6f766572206465636973696f6e30014a140a0564656c7461120b18fbffffffffffffffff014a0c0a04626c6f6212043a02010250035a0c09010000" +
        "00000000001201657a0b12076e6f207061746818021a2768747470733a2f2f6f70656e74656c656d657472792e696f2f736368656d61732f312e32372e301a2768" +
        "747470733a2f2f6f70656e74656c656d657472792e696f2f736368656d61732f312e32372e30");

    [Fact]
    public void TryDecode_ProtocGoldenRequest_ReadsSpansResourceAndScope()
    {
        Assert.True(OtlpTraceDecoder.TryDecode(GoldenRequest, out var spans));

        Assert.Equal(2, spans.Count);
        var server = spans[0];
        Assert.Equal("GET /api/v1/paths/{id}", server.Name);
        Assert.Equal(OtlpSpan.KindServer, server.Kind);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", server.TraceId);
        Assert.Equal("00f067aa0ba902b7", server.SpanId);
        Assert.Equal("", server.ParentSpanId);
        Assert.Equal(200L, server.Attribute("http.response.status_code"));
        Assert.Equal("/api/v1/paths/{id}", server.Attribute("http.route"));
        Assert.Equal(0, server.StatusCode);
        Assert.Equal("Microsoft.AspNetCore", server.ScopeName);
        Assert.Equal("10.0.0", server.ScopeVersion);

        Assert.Equal("patronus", server.Resource["service.name"]);
        Assert.Equal(4242L, server.Resource["pid"]);
        Assert.Equal(true, server.Resource["debug"]);
        Assert.Equal(0.25, server.Resource["load"]);
        Assert.False(server.Resource.ContainsKey("tags")); // arrays are left out

        var child = spans[1];
        Assert.Equal("failover decision", child.Name);
        Assert.Equal(OtlpSpan.KindInternal, child.Kind);
        Assert.Equal("0102030405060708", child.SpanId);
        Assert.Equal("00f067aa0ba902b7", child.ParentSpanId);
        Assert.Equal(-5L, child.Attribute("delta"));
        Assert.Null(child.Attribute("blob")); // bytes are left out
        Assert.Equal(OtlpSpan.StatusError, child.StatusCode);
        Assert.Equal("no path", child.StatusMessage);
        Assert.Same(server.Resource, child.Resource);
    }

    [Theory]
    [InlineData("00", 0UL)]
    [InlineData("01", 1UL)]
    [InlineData("7f", 127UL)]
    [InlineData("9601", 150UL)] // the protobuf encoding guide's example
    [InlineData("ac02", 300UL)]
    [InlineData("ffffffff0f", 4_294_967_295UL)]
    [InlineData("fbffffffffffffffff01", 18_446_744_073_709_551_611UL)] // int64 -5
    [InlineData("ffffffffffffffffff01", ulong.MaxValue)]
    [InlineData("8000", 0UL)] // non-minimal, but legal
    public void TryReadVarint_Valid_ReadsValueAndConsumesAll(string hex, ulong expected)
    {
        var reader = new OtlpProtobufReader(Convert.FromHexString(hex));

        Assert.True(reader.TryReadVarint(out var value));
        Assert.Equal(expected, value);
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")] // continuation bit, then nothing
    [InlineData("ffff")]
    [InlineData("ffffffffffffffffff02")] // a tenth byte carrying more than the 64th bit
    [InlineData("ffffffffffffffffff8001")] // eleven bytes
    public void TryReadVarint_TruncatedOrTooLong_ReturnsFalse(string hex)
    {
        var reader = new OtlpProtobufReader(Convert.FromHexString(hex));

        Assert.False(reader.TryReadVarint(out _));
    }

    [Theory]
    [InlineData("08", 1, WireType.Varint)]
    [InlineData("11", 2, WireType.Fixed64)]
    [InlineData("2a", 5, WireType.LengthDelimited)]
    [InlineData("8501", 16, WireType.Fixed32)] // Span.flags: a two-byte key
    [InlineData("f8ffffff0f", 536_870_911, WireType.Varint)] // the largest field number
    public void TryReadTag_Valid_SplitsFieldAndWireType(string hex, int field, WireType wire)
    {
        var reader = new OtlpProtobufReader(Convert.FromHexString(hex));

        Assert.True(reader.TryReadTag(out var f, out var w));
        Assert.Equal(field, f);
        Assert.Equal(wire, w);
    }

    [Theory]
    [InlineData("00")] // field 0
    [InlineData("0b")] // start group
    [InlineData("0c")] // end group
    [InlineData("0e")] // wire type 6
    [InlineData("0f")] // wire type 7
    public void TryReadTag_FieldZeroOrUnsupportedWireType_ReturnsFalse(string hex)
    {
        var reader = new OtlpProtobufReader(Convert.FromHexString(hex));

        Assert.False(reader.TryReadTag(out _, out _));
    }

    [Fact]
    public void TryReadLengthDelimited_LengthPastEnd_ReturnsFalse()
    {
        var reader = new OtlpProtobufReader([0x03, 0x61, 0x62]);

        Assert.False(reader.TryReadLengthDelimited(out _));
    }

    [Fact]
    public void FixedWidth_LittleEndian()
    {
        var reader = new OtlpProtobufReader(Convert.FromHexString("78563412" + "efcdab8967452301"));

        Assert.True(reader.TryReadFixed32(out var a));
        Assert.True(reader.TryReadFixed64(out var b));
        Assert.Equal(0x12345678u, a);
        Assert.Equal(0x0123456789abcdefUL, b);
        Assert.False(reader.TryReadFixed32(out _));
    }

    [Fact]
    public void TrySkip_EachWireType_MovesPastTheValue()
    {
        // varint 300, fixed64, "ab", fixed32, then one varint left
        var reader = new OtlpProtobufReader(Convert.FromHexString("ac02" + "0102030405060708" + "026162" + "01020304" + "07"));

        Assert.True(reader.TrySkip(WireType.Varint));
        Assert.True(reader.TrySkip(WireType.Fixed64));
        Assert.True(reader.TrySkip(WireType.LengthDelimited));
        Assert.True(reader.TrySkip(WireType.Fixed32));
        Assert.True(reader.TryReadVarint(out var last));
        Assert.Equal(7UL, last);
        Assert.False(reader.TrySkip(WireType.StartGroup));
    }

    [Fact]
    public void TryDecode_EmptyRequest_NoSpans()
    {
        Assert.True(OtlpTraceDecoder.TryDecode([], out var spans));
        Assert.Empty(spans);
    }

    [Fact]
    public void TryDecode_EveryTruncation_ReturnsFalseWithoutThrowing()
    {
        // Cutting the outer message anywhere inside its one field leaves a length past the end.
        for (var length = 1; length < GoldenRequest.Length; length++)
        {
            Assert.False(OtlpTraceDecoder.TryDecode(GoldenRequest.AsSpan(0, length), out _), $"truncated to {length}");
        }
    }

    [Fact]
    public void TryDecode_RandomMutations_NeverThrow()
    {
        var random = new Random(20261122);
        var buffer = new byte[GoldenRequest.Length];
        for (var i = 0; i < 20_000; i++)
        {
            GoldenRequest.CopyTo(buffer, 0);
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                buffer[random.Next(buffer.Length)] = (byte)random.Next(256);
            }

            _ = OtlpTraceDecoder.TryDecode(buffer.AsSpan(0, random.Next(buffer.Length + 1)), out _);
        }

        for (var i = 0; i < 5_000; i++)
        {
            var noise = new byte[random.Next(64)];
            random.NextBytes(noise);
            _ = OtlpTraceDecoder.TryDecode(noise, out _);
        }
    }
}
