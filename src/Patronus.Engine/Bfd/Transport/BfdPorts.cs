namespace Patronus.Engine.Bfd.Transport;

/// <summary>Well-known ports and the source port range of RFC 5881 §4 / RFC 5883 §2.</summary>
public static class BfdPorts
{
    /// <summary>Single-hop control packets (RFC 5881 §4).</summary>
    public const int SingleHop = 3784;

    /// <summary>Multihop control packets (RFC 5883 §2).</summary>
    public const int Multihop = 4784;

    /// <summary>Source ports "MUST be in the range 49152 through 65535" (RFC 5881 §4).</summary>
    public const int FirstSource = 49152;

    public const int LastSource = 65535;

    /// <summary>TTL / Hop Limit of every packet we send (RFC 5881 §5; RFC 5883 §2 sends 255 too).</summary>
    public const int SendTtl = 255;
}
