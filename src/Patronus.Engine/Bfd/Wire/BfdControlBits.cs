namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// The six flag bits after the State field of a control packet (RFC 5880 §4.1), as the low six
/// bits of the packet's second octet: <c>|Sta|P|F|C|A|D|M|</c>.
/// </summary>
[Flags]
public enum BfdControlBits
{
    /// <summary>No bit set.</summary>
    None = 0,

    /// <summary>M, Multipoint: reserved for point-to-multipoint; MUST be zero on send and receipt.</summary>
    Multipoint = 0x01,

    /// <summary>D, Demand: the sender wants to operate in Demand mode (§6.6; never set here).</summary>
    Demand = 0x02,

    /// <summary>A, Authentication Present: an Authentication Section follows (§6.7).</summary>
    AuthenticationPresent = 0x04,

    /// <summary>C, Control Plane Independent: BFD survives a control-plane restart (never set here: user space).</summary>
    ControlPlaneIndependent = 0x08,

    /// <summary>F, Final: this packet answers a Poll (§6.5).</summary>
    Final = 0x10,

    /// <summary>P, Poll: the sender asks for a Final, to confirm a parameter change (§6.5).</summary>
    Poll = 0x20,
}
