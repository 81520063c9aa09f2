using Patronus.Engine.Traffic;

namespace Patronus.Engine.Tests.Traffic;

public sealed class NftObjectMessageTests
{
    private const string Table = "patronus_acct";

    // What nft 1.0.6 sends for `nft -j list counters table inet patronus_acct` (strace -e write=3,
    // kernel 6.18): NFT_MSG_GETOBJ, NLM_F_REQUEST|NLM_F_DUMP, seq 0, NFPROTO_INET, NFTA_OBJ_TABLE.
    private const string NftRequest =
        "28000000" + "130a" + "0103" + "00000000" + "00000000" +
        "01000000" +
        "12000100" + "706174726f6e75735f6163637400" + "0000";

    // The kernel's answer to it (strace -e read=3): two NFT_MSG_NEWOBJ (NLM_F_MULTI|NLM_F_APPEND,
    // seq 0) in one datagram: policy_7 (0 packets, 0 bytes) and path_p1 (6 packets, 6168 bytes:
    // three `ping -s 1000` to 127.0.0.1, echo and reply), then NLMSG_DONE in a second datagram.
    private const string KernelAnswer =
        "70000000120a020800000000084600000100000212000100706174726f6e75735f616363740000000d000200706f6c69" +
        "63795f370000000008000300000000010c000600000000000000000108000500000000001c0004000c00010000000000" +
        "000000000c00020000000000000000006c000000120a020800000000084600000100000212000100706174726f6e7573" +
        "5f616363740000000c000200706174685f70310008000300000000010c00060000000000000000020800050000000001" +
        "1c0004000c00010000000000000018180c0002000000000000000006";

    private const string KernelDone = "14000000" + "0300" + "0200" + "00000000" + "08460000" + "00000000";

    private static readonly byte[] s_answer = Convert.FromHexString(KernelAnswer);

    [Fact]
    public void WriteCounterDump_IsNftsOwnRequestWithTheTypeFilter()
    {
        var buffer = new byte[NftObjectMessage.MaxRequestSize];

        var length = NftObjectMessage.WriteCounterDump(buffer, 0, Table);

        // nft's 40 octets, length 48, then NFTA_OBJ_TYPE = NFT_OBJECT_COUNTER (be32 1).
        var expected = Convert.FromHexString(NftRequest);
        expected[0] = 0x30;
        Assert.Equal([.. expected, .. Convert.FromHexString("08000300" + "00000001")], buffer[..length]);
    }

    [Fact]
    public void WriteCounterDump_CarriesTheSequence()
    {
        var buffer = new byte[NftObjectMessage.MaxRequestSize];

        NftObjectMessage.WriteCounterDump(buffer, 0x01020304, Table);

        Assert.Equal(Convert.FromHexString("04030201"), buffer[8..12]);
    }

    [Fact]
    public void WriteTableRequest_GoldenBytes()
    {
        var buffer = new byte[NftObjectMessage.MaxRequestSize];

        var length = NftObjectMessage.WriteTableRequest(buffer, 5, Table);

        // NFT_MSG_GETTABLE, NLM_F_REQUEST|NLM_F_ACK, seq 5, NFPROTO_INET, NFTA_TABLE_NAME "patronus_acct\0".
        Assert.Equal(Convert.FromHexString("28000000" + "010a" + "0500" + "05000000" + "00000000" + "01000000" + "12000100" + "706174726f6e75735f61636374000000"), buffer[..length]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("caf\u00e9")]
    public void WriteCounterDump_NotAName_Throws(string table) =>
        Assert.Throws<ArgumentException>(() => NftObjectMessage.WriteCounterDump(new byte[NftObjectMessage.MaxRequestSize], 1, table));

    [Fact]
    public void ReadCounterDump_KernelAnswer_EveryCounterThenDone()
    {
        var counters = new Dictionary<string, NftCounter>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var interrupted = false;

        var first = NftObjectMessage.ReadCounterDump(s_answer, 0, Table, counters, names, ref interrupted, out _, out var error);
        var second = NftObjectMessage.ReadCounterDump(Convert.FromHexString(KernelDone), 0, Table, counters, names, ref interrupted, out var errno, out _);

        Assert.Equal(NftDumpStep.More, first);
        Assert.Null(error);
        Assert.Equal(NftDumpStep.Done, second);
        Assert.Equal(0, errno);
        Assert.False(interrupted);
        Assert.Equal(new Dictionary<string, NftCounter> { ["policy_7"] = new(0, 0), ["path_p1"] = new(6, 6168) }, counters);
    }

    [Fact]
    public void ReadCounterDump_SecondRead_ReusesTheNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var interrupted = false;
        var first = new Dictionary<string, NftCounter>();
        var second = new Dictionary<string, NftCounter>();

        NftObjectMessage.ReadCounterDump(s_answer, 0, Table, first, names, ref interrupted, out _, out _);
        NftObjectMessage.ReadCounterDump(s_answer, 0, Table, second, names, ref interrupted, out _, out _);

        Assert.Equal(2, names.Count);
        Assert.Same(first.Keys.Single(k => k == "path_p1"), second.Keys.Single(k => k == "path_p1"));
    }

    [Fact]
    public void ReadCounterDump_AnotherRequestsAnswer_Skipped()
    {
        var counters = new Dictionary<string, NftCounter>();
        var interrupted = false;

        var step = NftObjectMessage.ReadCounterDump(s_answer, 7, Table, counters, [], ref interrupted, out _, out _);
        var done = NftObjectMessage.ReadCounterDump(Convert.FromHexString(KernelDone), 7, Table, counters, [], ref interrupted, out _, out _);

        Assert.Equal(NftDumpStep.More, step);
        Assert.Equal(NftDumpStep.More, done); // seq 0's NLMSG_DONE does not end dump 7
        Assert.Empty(counters);
    }

    [Fact]
    public void ReadCounterDump_AnotherTablesCounter_Skipped()
    {
        // A kernel that ignores the dump's filter would send every table's objects.
        var other = s_answer.ToArray();
        other[0x18] = (byte)'q'; // "qatronus_acct" in the first object
        var counters = new Dictionary<string, NftCounter>();
        var interrupted = false;

        var step = NftObjectMessage.ReadCounterDump(other, 0, Table, counters, [], ref interrupted, out _, out var error);

        Assert.Equal(NftDumpStep.More, step);
        Assert.Null(error);
        Assert.Equal(["path_p1"], counters.Keys);
    }

    [Fact]
    public void ReadCounterDump_AnotherObjectType_Skipped()
    {
        var quota = s_answer.ToArray();
        quota[0x3f] = 2; // NFT_OBJECT_QUOTA in the first object's NFTA_OBJ_TYPE
        var counters = new Dictionary<string, NftCounter>();
        var interrupted = false;

        NftObjectMessage.ReadCounterDump(quota, 0, Table, counters, [], ref interrupted, out _, out _);

        Assert.Equal(["path_p1"], counters.Keys);
    }

    [Fact]
    public void ReadCounterDump_SameNameTwice_MalformedAndNamed()
    {
        var twice = Convert.FromHexString(KernelAnswer[..(0x70 * 2)] + KernelAnswer[..(0x70 * 2)]);
        var counters = new Dictionary<string, NftCounter>();
        var interrupted = false;

        var step = NftObjectMessage.ReadCounterDump(twice, 0, Table, counters, [], ref interrupted, out _, out var error);

        Assert.Equal(NftDumpStep.Malformed, step);
        Assert.Equal("counter policy_7 listed twice", error);
    }

    [Fact]
    public void ReadCounterDump_DumpInterruptedFlag_Reported()
    {
        var flagged = s_answer.ToArray();
        flagged[6] |= 0x10; // NLM_F_DUMP_INTR on the first message
        var counters = new Dictionary<string, NftCounter>();
        var interrupted = false;

        NftObjectMessage.ReadCounterDump(flagged, 0, Table, counters, [], ref interrupted, out _, out _);

        Assert.True(interrupted);
    }

    [Theory]
    [InlineData("feffffff", (int)NftDumpStep.Error, 2)] // -ENOENT
    [InlineData("ffffffff", (int)NftDumpStep.Error, 1)] // -EPERM
    [InlineData("00000000", (int)NftDumpStep.Done, 0)] // an acknowledgement
    public void ReadCounterDump_NetlinkError_ErrnoGiven(string code, int expected, int expectedErrno)
    {
        var error = Convert.FromHexString("24000000" + "0200" + "0000" + "03000000" + "00000000" + code + "30000000130a010303000000" + "00000000");
        var interrupted = false;

        var step = NftObjectMessage.ReadCounterDump(error, 3, Table, new Dictionary<string, NftCounter>(), [], ref interrupted, out var errno, out _);

        Assert.Equal((NftDumpStep)expected, step);
        Assert.Equal(expectedErrno, errno);
    }

    [Fact]
    public void ReadCounterDump_DoneCarryingAnError_IsAnError()
    {
        // NLMSG_DONE's body is the dump's outcome: -EBUSY here, so what came before is not the whole table.
        var done = Convert.FromHexString("14000000" + "0300" + "0200" + "00000000" + "08460000" + "f0ffffff");
        var interrupted = false;

        var step = NftObjectMessage.ReadCounterDump(done, 0, Table, new Dictionary<string, NftCounter>(), [], ref interrupted, out var errno, out _);

        Assert.Equal(NftDumpStep.Error, step);
        Assert.Equal(16, errno);
    }

    [Fact]
    public void ReadCounterDump_EveryTruncation_NeverThrowsNorInventsACounter()
    {
        // Cut anywhere: a cut between the two messages still reads the first whole; any other cut is
        // malformed, and nothing read is other than the kernel's values.
        for (var length = 0; length <= s_answer.Length; length++)
        {
            var counters = new Dictionary<string, NftCounter>();
            var interrupted = false;

            var step = NftObjectMessage.ReadCounterDump(s_answer.AsSpan(0, length), 0, Table, counters, [], ref interrupted, out _, out var error);

            var whole = length is 0 or 0x70 or 0xdc;
            Assert.True(whole ? step == NftDumpStep.More : step == NftDumpStep.Malformed, $"{length} octets: {step} ({error})");
            Assert.All(counters, c => Assert.Equal(c.Key == "path_p1" ? new NftCounter(6, 6168) : new NftCounter(0, 0), c.Value));
        }
    }

    [Fact]
    public void ReadCounterDump_RandomMutations_NeverThrow()
    {
        var random = new Random(20261206);
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = s_answer.ToArray();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var interrupted = false;
            var step = NftObjectMessage.ReadCounterDump(mutated, 0, Table, new Dictionary<string, NftCounter>(), new HashSet<string>(StringComparer.Ordinal), ref interrupted, out _, out var error);

            Assert.True(step != NftDumpStep.Malformed || error is not null);
        }
    }

    [Theory]
    [InlineData("00000000", (int)NftDumpStep.Done, true, 0)]
    [InlineData("feffffff", (int)NftDumpStep.Error, false, 2)]
    public void ReadTableAnswer_AckOrNoSuchTable(string code, int expected, bool exists, int expectedErrno)
    {
        // With NLM_F_ACK the kernel sends NFT_MSG_NEWTABLE, then the acknowledgement; or only the error.
        var answer = Convert.FromHexString("24000000" + "0200" + "0000" + "05000000" + "00000000" + code + "28000000010a0500" + "05000000" + "00000000");

        var step = NftObjectMessage.ReadTableAnswer(answer, 5, out var found, out var errno);

        Assert.Equal((NftDumpStep)expected, step);
        Assert.Equal(exists, found);
        Assert.Equal(expectedErrno, errno);
    }
}
