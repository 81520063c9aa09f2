using System.Text;

namespace Patronus.Server.Tests.TestSupport;

/// <summary>One received span, flattened with its resource and instrumentation scope.</summary>
public sealed record OtlpSpan(
    string Name,
    int Kind,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    IReadOnlyDictionary<string, object> Attributes,
    int StatusCode,
    string StatusMessage,
    string ScopeName,
    string ScopeVersion,
    IReadOnlyDictionary<string, object> Resource)
{
    public const int KindInternal = 1;
    public const int KindServer = 2;
    public const int KindClient = 3;
    public const int StatusError = 2;

    public object? Attribute(string key) => Attributes.GetValueOrDefault(key);

    public override string ToString() =>
        $"{Name} [{ScopeName}] kind={Kind} status={StatusCode} {string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}";
}

/// <summary>
/// Decodes an OTLP <c>ExportTraceServiceRequest</c> (opentelemetry-proto
/// <c>collector/trace/v1/trace_service.proto</c>, <c>trace/v1/trace.proto</c>,
/// <c>common/v1/common.proto</c>): only the fields the tests look at; every other field is skipped.
/// Attribute values: string, bool, int64 and double; arrays, maps and bytes are left out.
/// </summary>
public static class OtlpTraceDecoder
{
    public static bool TryDecode(ReadOnlySpan<byte> request, out List<OtlpSpan> spans)
    {
        spans = [];
        var reader = new OtlpProtobufReader(request);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (field == 1 && wire == WireType.LengthDelimited) // repeated ResourceSpans resource_spans = 1
            {
                if (!reader.TryReadLengthDelimited(out var resourceSpans) || !TryReadResourceSpans(resourceSpans, spans))
                {
                    return false;
                }
            }
            else if (!reader.TrySkip(wire))
            {
                return false;
            }
        }

        return true;
    }

    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
    private static bool TryReadResourceSpans(ReadOnlySpan<byte> data, List<OtlpSpan> spans)
    {
        var resource = new Dictionary<string, object>(StringComparer.Ordinal);
        var scopes = new List<byte[]>();
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (wire == WireType.LengthDelimited && field is 1 or 2)
            {
                if (!reader.TryReadLengthDelimited(out var value))
                {
                    return false;
                }

                if (field == 1 && !TryReadAttributesOf(value, 1, resource)) // Resource { repeated KeyValue attributes = 1; }
                {
                    return false;
                }

                if (field == 2)
                {
                    scopes.Add(value.ToArray()); // the resource may come after its scopes: decode them at the end
                }
            }
            else if (!reader.TrySkip(wire))
            {
                return false;
            }
        }

        foreach (var scope in scopes)
        {
            if (!TryReadScopeSpans(scope, resource, spans))
            {
                return false;
            }
        }

        return true;
    }

    // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
    // InstrumentationScope { string name = 1; string version = 2; ... }
    private static bool TryReadScopeSpans(ReadOnlySpan<byte> data, Dictionary<string, object> resource, List<OtlpSpan> spans)
    {
        string scopeName = "", scopeVersion = "";
        var spanBytes = new List<byte[]>();
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (wire == WireType.LengthDelimited && field is 1 or 2)
            {
                if (!reader.TryReadLengthDelimited(out var value))
                {
                    return false;
                }

                if (field == 2)
                {
                    spanBytes.Add(value.ToArray());
                    continue;
                }

                var scope = new OtlpProtobufReader(value);
                while (!scope.End)
                {
                    if (!scope.TryReadTag(out var f, out var w))
                    {
                        return false;
                    }

                    if (w == WireType.LengthDelimited && f is 1 or 2)
                    {
                        if (!scope.TryReadLengthDelimited(out var text))
                        {
                            return false;
                        }

                        if (f == 1)
                        {
                            scopeName = Encoding.UTF8.GetString(text);
                        }
                        else
                        {
                            scopeVersion = Encoding.UTF8.GetString(text);
                        }
                    }
                    else if (!scope.TrySkip(w))
                    {
                        return false;
                    }
                }
            }
            else if (!reader.TrySkip(wire))
            {
                return false;
            }
        }

        foreach (var bytes in spanBytes)
        {
            if (!TryReadSpan(bytes, scopeName, scopeVersion, resource, out var span))
            {
                return false;
            }

            spans.Add(span);
        }

        return true;
    }

    // Span { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
    //        string name = 5; SpanKind kind = 6; fixed64 start = 7; fixed64 end = 8;
    //        repeated KeyValue attributes = 9; ... Status status = 15; fixed32 flags = 16; }
    // Status { string message = 2; StatusCode code = 3; }
    private static bool TryReadSpan(ReadOnlySpan<byte> data, string scopeName, string scopeVersion, Dictionary<string, object> resource, out OtlpSpan span)
    {
        span = null!;
        string name = "", traceId = "", spanId = "", parentId = "", statusMessage = "";
        int kind = 0, statusCode = 0;
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            switch (field, wire)
            {
                case (1 or 2 or 4 or 5 or 9 or 15, WireType.LengthDelimited):
                    if (!reader.TryReadLengthDelimited(out var value))
                    {
                        return false;
                    }

                    switch (field)
                    {
                        case 1: traceId = Convert.ToHexStringLower(value); break;
                        case 2: spanId = Convert.ToHexStringLower(value); break;
                        case 4: parentId = Convert.ToHexStringLower(value); break;
                        case 5: name = Encoding.UTF8.GetString(value); break;
                        case 9:
                            if (!TryReadKeyValue(value, attributes))
                            {
                                return false;
                            }

                            break;
                        default:
                            if (!TryReadStatus(value, out statusMessage, out statusCode))
                            {
                                return false;
                            }

                            break;
                    }

                    break;
                case (6, WireType.Varint):
                    if (!reader.TryReadVarint(out var k))
                    {
                        return false;
                    }

                    kind = (int)k;
                    break;
                default:
                    if (!reader.TrySkip(wire))
                    {
                        return false;
                    }

                    break;
            }
        }

        span = new OtlpSpan(name, kind, traceId, spanId, parentId, attributes, statusCode, statusMessage, scopeName, scopeVersion, resource);
        return true;
    }

    private static bool TryReadStatus(ReadOnlySpan<byte> data, out string message, out int code)
    {
        message = "";
        code = 0;
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (field == 2 && wire == WireType.LengthDelimited && reader.TryReadLengthDelimited(out var text))
            {
                message = Encoding.UTF8.GetString(text);
            }
            else if (field == 3 && wire == WireType.Varint && reader.TryReadVarint(out var c))
            {
                code = (int)c;
            }
            else if (field is 2 or 3 || !reader.TrySkip(wire))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads every <c>repeated KeyValue</c> with number <paramref name="field"/> of a message.</summary>
    private static bool TryReadAttributesOf(ReadOnlySpan<byte> message, int field, Dictionary<string, object> into)
    {
        var reader = new OtlpProtobufReader(message);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var f, out var wire))
            {
                return false;
            }

            if (f == field && wire == WireType.LengthDelimited)
            {
                if (!reader.TryReadLengthDelimited(out var kv) || !TryReadKeyValue(kv, into))
                {
                    return false;
                }
            }
            else if (!reader.TrySkip(wire))
            {
                return false;
            }
        }

        return true;
    }

    // KeyValue { string key = 1; AnyValue value = 2; }
    // AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
    //            double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
    private static bool TryReadKeyValue(ReadOnlySpan<byte> data, Dictionary<string, object> into)
    {
        string? key = null;
        object? value = null;
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            if (field == 1 && wire == WireType.LengthDelimited && reader.TryReadLengthDelimited(out var k))
            {
                key = Encoding.UTF8.GetString(k);
            }
            else if (field == 2 && wire == WireType.LengthDelimited && reader.TryReadLengthDelimited(out var v))
            {
                if (!TryReadAnyValue(v, out value))
                {
                    return false;
                }
            }
            else if (field is 1 or 2 || !reader.TrySkip(wire))
            {
                return false;
            }
        }

        if (key is not null && value is not null)
        {
            into[key] = value;
        }

        return true;
    }

    private static bool TryReadAnyValue(ReadOnlySpan<byte> data, out object? value)
    {
        value = null;
        var reader = new OtlpProtobufReader(data);
        while (!reader.End)
        {
            if (!reader.TryReadTag(out var field, out var wire))
            {
                return false;
            }

            switch (field, wire)
            {
                case (1, WireType.LengthDelimited):
                    if (!reader.TryReadLengthDelimited(out var s))
                    {
                        return false;
                    }

                    value = Encoding.UTF8.GetString(s);
                    break;
                case (2 or 3, WireType.Varint):
                    if (!reader.TryReadVarint(out var n))
                    {
                        return false;
                    }

                    value = field == 2 ? n != 0 : (object)unchecked((long)n);
                    break;
                case (4, WireType.Fixed64):
                    if (!reader.TryReadFixed64(out var bits))
                    {
                        return false;
                    }

                    value = BitConverter.UInt64BitsToDouble(bits);
                    break;
                default:
                    if (!reader.TrySkip(wire))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }
}
