using Patronus.Engine.Probes.Icmp;

namespace Patronus.Engine.Tests.Probes.Icmp;

public class InternetChecksumTests
{
    [Fact]
    public void Compute_Rfc1071Example_Is220D()
    {
        // RFC 1071 §3 "Numerical Examples": the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's
        // complement, carries folded); the checksum is its complement.
        Assert.Equal(0x220D, InternetChecksum.Compute([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]));
    }

    [Fact]
    public void Compute_Rfc1071ExampleWithChecksumAppended_IsZero()
    {
        Assert.Equal(0, InternetChecksum.Compute([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7, 0x22, 0x0D]));
    }

    [Fact]
    public void Compute_CapturedWindowsEchoRequest_MatchesItsChecksum4D5A()
    {
        // The classic Windows ping request (identifier 1, sequence 1, 32-byte alphabet payload)
        // as captured on the wire carries checksum 0x4d5a; computed with the field zeroed.
        var message = Convert.FromHexString("0800000000010001" + "6162636465666768696A6B6C6D6E6F7071727374757677616263646566676869");
        Assert.Equal(0x4D5A, InternetChecksum.Compute(message));
    }

    [Fact]
    public void Compute_CapturedLinuxEchoReply_VerifiesToZero()
    {
        // The ICMP part of IcmpTestPackets.CapturedLinuxReply: checksum 0x4b26 filled by the kernel.
        Assert.Equal(0, InternetChecksum.Compute(IcmpTestPackets.CapturedLinuxReply.AsSpan(20)));
    }

    [Fact]
    public void Compute_OddLength_PadsTheLastByteWithZero()
    {
        // RFC 1071 §1: an odd byte is the high half of a final word.
        Assert.Equal(InternetChecksum.Compute([0x12, 0x34, 0x56, 0x00]), InternetChecksum.Compute([0x12, 0x34, 0x56]));
        Assert.Equal(unchecked((ushort)~0xAB00), InternetChecksum.Compute([0xAB]));
    }

    [Fact]
    public void Compute_Empty_IsAllOnes()
    {
        Assert.Equal(0xFFFF, InternetChecksum.Compute([]));
    }

    [Fact]
    public void Compute_ManyCarries_FoldsLikeAWordByWordSum()
    {
        var random = new Random(1071);
        for (var n = 0; n < 500; n++)
        {
            var data = new byte[random.Next(0, 200)];
            random.NextBytes(data);
            Assert.Equal(ReferenceChecksum(data), InternetChecksum.Compute(data));
        }
    }

    // RFC 1071 §4.1 reference: 16-bit words, add with carry fold, complement.
    private static ushort ReferenceChecksum(byte[] data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 2)
        {
            sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
