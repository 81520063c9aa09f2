namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// The Auth Type field of an Authentication Section (RFC 5880 §4.1) and bfd.AuthType (§6.8.1).
/// Values 6–255 are reserved; a received reserved value is kept as its number.
/// </summary>
public enum BfdAuthType
{
    /// <summary>bfd.AuthType zero: no authentication (never on the wire).</summary>
    None = 0,

    /// <summary>1 Simple Password (§4.2, §6.7.2).</summary>
    SimplePassword = 1,

    /// <summary>2 Keyed MD5 (§4.3, §6.7.3).</summary>
    KeyedMd5 = 2,

    /// <summary>3 Meticulous Keyed MD5 (§4.3, §6.7.3).</summary>
    MeticulousKeyedMd5 = 3,

    /// <summary>4 Keyed SHA1 (§4.4, §6.7.4).</summary>
    KeyedSha1 = 4,

    /// <summary>5 Meticulous Keyed SHA1 (§4.4, §6.7.4).</summary>
    MeticulousKeyedSha1 = 5,
}
