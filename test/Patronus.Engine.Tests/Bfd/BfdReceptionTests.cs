using Patronus.Engine.Bfd;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Tests.Bfd;

/// <summary>RFC 5880 §6.8.6 discard rules, one row per rule.</summary>
public class BfdReceptionTests
{
    private static readonly BfdControlPacket s_valid = BfdPackets.FromPeer(BfdState.Up);

    private static readonly Dictionary<string, Func<byte[]>> s_mutations = new()
    {
        ["valid"] = () => s_valid.Bytes(),
        ["valid, trailing octets"] = () => [.. s_valid.Bytes(), 0, 0, 0, 0],
        ["valid, Down with Your Discriminator 0"] = () => (s_valid with { State = BfdState.Down, YourDiscriminator = 0 }).Bytes(),
        ["valid, AdminDown with Your Discriminator 0"] = () => (s_valid with { State = BfdState.AdminDown, YourDiscriminator = 0 }).Bytes(),
        ["valid, with a 28-octet auth section"] = () => WithAuth(52, 28),
        ["23 octets"] = () => s_valid.Bytes()[..23],
        ["version 0"] = () => (s_valid with { Version = 0 }).Bytes(),
        ["version 2"] = () => (s_valid with { Version = 2 }).Bytes(),
        ["version 2 and Detect Mult 0"] = () => (s_valid with { Version = 2, DetectMult = 0 }).Bytes(),
        ["Length 23"] = () => (s_valid with { Length = 23 }).Bytes(),
        ["Length 0"] = () => (s_valid with { Length = 0 }).Bytes(),
        ["A bit, Length 25"] = () => WithAuth(25, 1)[..25],
        ["A bit, Length 24"] = () => WithAuth(24, 0)[..24],
        ["Length 25 in 24 octets"] = () => (s_valid with { Length = 25 }).Bytes(),
        ["Length 52 in 51 octets"] = () => WithAuth(52, 28)[..51],
        ["A bit, Auth Len short of Length"] = () => WithAuth(52, 24),
        ["A bit, Auth Len past Length"] = () => WithAuth(48, 28),
        ["Detect Mult 0"] = () => (s_valid with { DetectMult = 0 }).Bytes(),
        ["M bit"] = () => (s_valid with { Bits = BfdControlBits.Multipoint }).Bytes(),
        ["M bit and My Discriminator 0"] = () => (s_valid with { Bits = BfdControlBits.Multipoint, MyDiscriminator = 0 }).Bytes(),
        ["My Discriminator 0"] = () => (s_valid with { MyDiscriminator = 0 }).Bytes(),
        ["Up with Your Discriminator 0"] = () => (s_valid with { YourDiscriminator = 0 }).Bytes(),
        ["Init with Your Discriminator 0"] = () => (s_valid with { State = BfdState.Init, YourDiscriminator = 0 }).Bytes(),
    };

    [Theory]
    [InlineData("valid", BfdDropReason.None)]
    [InlineData("valid, trailing octets", BfdDropReason.None)]
    [InlineData("valid, Down with Your Discriminator 0", BfdDropReason.None)]
    [InlineData("valid, AdminDown with Your Discriminator 0", BfdDropReason.None)]
    [InlineData("valid, with a 28-octet auth section", BfdDropReason.None)]
    [InlineData("23 octets", BfdDropReason.Truncated)]
    [InlineData("version 0", BfdDropReason.VersionMismatch)]
    [InlineData("version 2", BfdDropReason.VersionMismatch)]
    [InlineData("version 2 and Detect Mult 0", BfdDropReason.VersionMismatch)]
    [InlineData("Length 23", BfdDropReason.LengthTooShort)]
    [InlineData("Length 0", BfdDropReason.LengthTooShort)]
    [InlineData("A bit, Length 25", BfdDropReason.LengthTooShort)]
    [InlineData("A bit, Length 24", BfdDropReason.LengthTooShort)]
    [InlineData("Length 25 in 24 octets", BfdDropReason.LengthExceedsPayload)]
    [InlineData("Length 52 in 51 octets", BfdDropReason.LengthExceedsPayload)]
    [InlineData("A bit, Auth Len short of Length", BfdDropReason.AuthLengthMismatch)]
    [InlineData("A bit, Auth Len past Length", BfdDropReason.AuthLengthMismatch)]
    [InlineData("Detect Mult 0", BfdDropReason.ZeroDetectMult)]
    [InlineData("M bit", BfdDropReason.Multipoint)]
    [InlineData("M bit and My Discriminator 0", BfdDropReason.Multipoint)]
    [InlineData("My Discriminator 0", BfdDropReason.ZeroMyDiscriminator)]
    [InlineData("Up with Your Discriminator 0", BfdDropReason.YourDiscriminatorZeroNotDownOrAdminDown)]
    [InlineData("Init with Your Discriminator 0", BfdDropReason.YourDiscriminatorZeroNotDownOrAdminDown)]
    public void Check_Row_ReturnsReason(string row, BfdDropReason expected)
    {
        Assert.Equal(expected, BfdReception.Check(s_mutations[row](), out _));
    }

    [Fact]
    public void Check_EveryRowIsTested()
    {
        var tested = typeof(BfdReceptionTests).GetMethod(nameof(Check_Row_ReturnsReason))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).Single()[0]);
        Assert.Equal(s_mutations.Keys.Order(), tested.Order());
    }

    [Theory]
    [InlineData(false, 5u, false, BfdAuthType.None, BfdDropReason.UnknownYourDiscriminator)]
    [InlineData(false, 0u, false, BfdAuthType.None, BfdDropReason.NoMatchingSession)]
    [InlineData(true, 5u, true, BfdAuthType.None, BfdDropReason.AuthPresentButNotConfigured)]
    [InlineData(true, 5u, false, BfdAuthType.KeyedSha1, BfdDropReason.AuthMissingButConfigured)]
    [InlineData(true, 5u, false, BfdAuthType.SimplePassword, BfdDropReason.AuthMissingButConfigured)]
    [InlineData(true, 5u, true, BfdAuthType.KeyedMd5, BfdDropReason.None)]
    [InlineData(true, 0u, false, BfdAuthType.None, BfdDropReason.None)]
    public void CheckSession_Row_ReturnsReason(bool found, uint your, bool authPresent, BfdAuthType sessionAuth, BfdDropReason expected)
    {
        var packet = s_valid with
        {
            YourDiscriminator = your,
            Bits = authPresent ? BfdControlBits.AuthenticationPresent : BfdControlBits.None,
        };

        Assert.Equal(expected, BfdReception.CheckSession(packet, found, sessionAuth));
    }

    private static byte[] WithAuth(byte length, byte authLength)
    {
        var bytes = new byte[Math.Max((int)length, 26)];
        (s_valid with { Bits = BfdControlBits.AuthenticationPresent, Length = length }).TryWrite(bytes, out _);
        bytes[24] = (byte)BfdAuthType.KeyedSha1;
        bytes[25] = authLength;
        return bytes;
    }
}
