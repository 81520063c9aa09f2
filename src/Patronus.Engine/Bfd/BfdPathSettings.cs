namespace Patronus.Engine.Bfd;

/// <summary>
/// The BFD session of a path (RFC 5880 asynchronous mode). The session runs from the path's link
/// source address (and interface, with SO_BINDTODEVICE) to <see cref="Peer"/>. Intervals are
/// configured in milliseconds, as routers' CLIs do (FRR, Junos); the wire carries microseconds.
/// </summary>
/// <param name="Peer">The BFD peer's address (an IP literal of the link source's family).</param>
/// <param name="Multihop">RFC 5883 multihop (UDP 4784, TTL checked against <see cref="MinTtl"/>) instead of RFC 5881 single hop (3784, TTL 255).</param>
/// <param name="DesiredMinTxMs">bfd.DesiredMinTxInterval once Up (while not Up the RFC's 1 s applies). Default 300.</param>
/// <param name="RequiredMinRxMs">bfd.RequiredMinRxInterval. Default 300.</param>
/// <param name="DetectMultiplier">bfd.DetectMult. Default 3 (with the defaults: 900 ms detection time, the seed's figure).</param>
/// <param name="Passive">Passive role (RFC 5880 §6.1): send nothing until the peer has spoken.</param>
/// <param name="MinTtl">Multihop only: the lowest received TTL accepted (RFC 5883 §2). Default 254: at most one hop.</param>
/// <param name="Auth">Authentication (§6.7), or null for none.</param>
/// <param name="AdminDown">Hold the session in AdminDown (§6.8.16): the peer is told, and the path is not judged by BFD.</param>
public sealed record BfdPathSettings(
    string Peer,
    bool Multihop = false,
    int DesiredMinTxMs = BfdPathSettings.DefaultIntervalMs,
    int RequiredMinRxMs = BfdPathSettings.DefaultIntervalMs,
    int DetectMultiplier = BfdPathSettings.DefaultDetectMultiplier,
    bool Passive = false,
    int MinTtl = BfdPathSettings.DefaultMinTtl,
    BfdAuthSettings? Auth = null,
    bool AdminDown = false)
{
    public const int DefaultIntervalMs = 300;
    public const int DefaultDetectMultiplier = 3;
    public const int DefaultMinTtl = 254;

    /// <summary>Shortest interval accepted: 10 ms (FRR's floor; below it a user-space timer is noise).</summary>
    public const int MinIntervalMs = 10;

    /// <summary>Longest interval accepted: 60 s (FRR's ceiling).</summary>
    public const int MaxIntervalMs = 60_000;
}

/// <summary>Authentication of a BFD session (RFC 5880 §6.7).</summary>
/// <param name="Type">The authentication type.</param>
/// <param name="KeyId">Auth Key ID sent and required (0–255).</param>
/// <param name="Secret">The password or key, as UTF-8 text: 1–16 bytes for simple password and MD5, 1–20 for SHA1. Never logged or shown by the API.</param>
public sealed record BfdAuthSettings(BfdAuthMode Type, int KeyId, string Secret)
{
    /// <summary>Longest secret of the type in bytes (§4.2–4.4).</summary>
    public static int MaxSecretBytes(BfdAuthMode type) => type is BfdAuthMode.KeyedSha1 or BfdAuthMode.MeticulousKeyedSha1 ? 20 : 16;

    /// <summary>The secret is never printed.</summary>
    public override string ToString() => $"BfdAuthSettings {{ Type = {Type}, KeyId = {KeyId}, Secret = *** }}";
}

/// <summary>BFD authentication types as configured (values are the wire's Auth Type, §4.1).</summary>
public enum BfdAuthMode
{
    SimplePassword = 1,
    KeyedMd5 = 2,
    MeticulousKeyedMd5 = 3,
    KeyedSha1 = 4,
    MeticulousKeyedSha1 = 5,
}

/// <summary>Names of <see cref="BfdAuthMode"/> in config and API (kebab case, as FRR/Junos spell them).</summary>
public static class BfdAuthModeNames
{
    private static readonly (BfdAuthMode Mode, string Name)[] s_names =
    [
        (BfdAuthMode.SimplePassword, "simple-password"),
        (BfdAuthMode.KeyedMd5, "keyed-md5"),
        (BfdAuthMode.MeticulousKeyedMd5, "meticulous-keyed-md5"),
        (BfdAuthMode.KeyedSha1, "keyed-sha1"),
        (BfdAuthMode.MeticulousKeyedSha1, "meticulous-keyed-sha1"),
    ];

    /// <summary>Every accepted name, for error messages.</summary>
    public static string All => string.Join(", ", s_names.Select(n => n.Name));

    public static string Name(BfdAuthMode mode) => s_names.First(n => n.Mode == mode).Name;

    public static bool TryParse(string? text, out BfdAuthMode mode)
    {
        foreach (var (m, name) in s_names)
        {
            if (string.Equals(text, name, StringComparison.OrdinalIgnoreCase))
            {
                mode = m;
                return true;
            }
        }

        mode = default;
        return false;
    }
}
