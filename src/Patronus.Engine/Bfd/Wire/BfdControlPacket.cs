using System.Buffers.Binary;

namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// The mandatory section of a BFD Control packet (RFC 5880 §4.1), 24 octets.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                       My Discriminator                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Your Discriminator                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Desired Min TX Interval                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                   Required Min RX Interval                    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Required Min Echo RX Interval                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// An Authentication Section (§4.2–4.4) follows when the A bit is set; <see cref="Length"/> covers
/// both. <see cref="TryRead"/> only splits the octets into fields: whether the values are
/// acceptable (version, length, discriminators …) is decided by <see cref="BfdReception"/> in the
/// order of §6.8.6. <see cref="TryWrite"/> writes the fields as given (it does not compute
/// <see cref="Length"/>) and refuses values that do not fit their bit fields.
/// </summary>
/// <param name="Version">Vers, 3 bits: 1 for RFC 5880.</param>
/// <param name="Diagnostic">Diag, 5 bits: the sender's bfd.LocalDiag.</param>
/// <param name="State">Sta, 2 bits: the sender's bfd.SessionState.</param>
/// <param name="Bits">The P F C A D M bits.</param>
/// <param name="DetectMult">Detection time multiplier of the sender (§6.8.4).</param>
/// <param name="Length">Length of the whole control packet in octets, Authentication Section included.</param>
/// <param name="MyDiscriminator">The sender's discriminator for the session (nonzero).</param>
/// <param name="YourDiscriminator">The receiver's discriminator as last heard by the sender, or zero.</param>
/// <param name="DesiredMinTxInterval">Microseconds: the sender's bfd.DesiredMinTxInterval.</param>
/// <param name="RequiredMinRxInterval">Microseconds: the sender's bfd.RequiredMinRxInterval (0: send no periodic packets).</param>
/// <param name="RequiredMinEchoRxInterval">Microseconds between Echo packets the sender can loop back; 0: none.</param>
public readonly record struct BfdControlPacket(
    byte Version,
    BfdDiagnostic Diagnostic,
    BfdState State,
    BfdControlBits Bits,
    byte DetectMult,
    byte Length,
    uint MyDiscriminator,
    uint YourDiscriminator,
    uint DesiredMinTxInterval,
    uint RequiredMinRxInterval,
    uint RequiredMinEchoRxInterval)
{
    /// <summary>Octets of the mandatory section, the smallest Length without authentication (§6.8.6).</summary>
    public const int Size = 24;

    /// <summary>The smallest Length with the A bit set: the mandatory section plus Auth Type and Auth Len (§6.8.6).</summary>
    public const int MinSizeWithAuthentication = 26;

    /// <summary>The version this implementation speaks (§4.1).</summary>
    public const byte CurrentVersion = 1;

    private const int MaxVersion = 0x07;
    private const int MaxDiagnostic = 0x1F;
    private const int MaxState = 0x03;
    private const int AllBits = 0x3F;

    public bool Poll => (Bits & BfdControlBits.Poll) != 0;

    public bool Final => (Bits & BfdControlBits.Final) != 0;

    public bool ControlPlaneIndependent => (Bits & BfdControlBits.ControlPlaneIndependent) != 0;

    public bool AuthenticationPresent => (Bits & BfdControlBits.AuthenticationPresent) != 0;

    public bool Demand => (Bits & BfdControlBits.Demand) != 0;

    public bool Multipoint => (Bits & BfdControlBits.Multipoint) != 0;

    public static bool TryRead(ReadOnlySpan<byte> source, out BfdControlPacket packet)
    {
        if (source.Length < Size)
        {
            packet = default;
            return false;
        }

        packet = new BfdControlPacket(
            (byte)(source[0] >> 5),
            (BfdDiagnostic)(source[0] & MaxDiagnostic),
            (BfdState)(source[1] >> 6),
            (BfdControlBits)(source[1] & AllBits),
            source[2],
            source[3],
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[20..]));
        return true;
    }

    public bool TryWrite(Span<byte> destination, out int written)
    {
        if (destination.Length < Size || Version > MaxVersion || (uint)Diagnostic > MaxDiagnostic ||
            (uint)State > MaxState || (uint)Bits > AllBits)
        {
            written = 0;
            return false;
        }

        destination[0] = (byte)((Version << 5) | (int)Diagnostic);
        destination[1] = (byte)(((int)State << 6) | (int)Bits);
        destination[2] = DetectMult;
        destination[3] = Length;
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], MyDiscriminator);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], YourDiscriminator);
        BinaryPrimitives.WriteUInt32BigEndian(destination[12..], DesiredMinTxInterval);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], RequiredMinRxInterval);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], RequiredMinEchoRxInterval);
        written = Size;
        return true;
    }
}
