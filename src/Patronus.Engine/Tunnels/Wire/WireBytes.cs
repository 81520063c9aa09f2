using System.Runtime.CompilerServices;

namespace Patronus.Engine.Tunnels.Wire;

// Fixed-size byte fields of the WireGuard messages, held inline so that a parsed message is a
// value with no heap allocation. A local of one converts to a span (`(Span<byte>)local`);
// equality compares the bytes (ValueType.Equals over a blittable struct).

/// <summary>16 octets: a Poly1305 tag, a MAC, an encrypted empty payload.</summary>
[InlineArray(Size)]
public struct Bytes16
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 16;

    private byte _element0;
}

/// <summary>24 octets: an XChaCha20 nonce.</summary>
[InlineArray(Size)]
public struct Bytes24
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 24;

    private byte _element0;
}

/// <summary>28 octets: an encrypted TAI64N timestamp (12 + 16).</summary>
[InlineArray(Size)]
public struct Bytes28
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 28;

    private byte _element0;
}

/// <summary>32 octets: a Curve25519 key, a BLAKE2s hash, a symmetric key, an encrypted cookie.</summary>
[InlineArray(Size)]
public struct Bytes32
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 32;

    private byte _element0;
}

/// <summary>48 octets: an encrypted static public key (32 + 16).</summary>
[InlineArray(Size)]
public struct Bytes48
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 48;

    private byte _element0;
}

/// <summary>Copies of the inline fields, which a property read cannot turn into a span directly.</summary>
internal static class WireBytes
{
    public static void Copy(Bytes16 source, Span<byte> destination) => ((ReadOnlySpan<byte>)source).CopyTo(destination);

    public static void Copy(Bytes24 source, Span<byte> destination) => ((ReadOnlySpan<byte>)source).CopyTo(destination);

    public static void Copy(Bytes28 source, Span<byte> destination) => ((ReadOnlySpan<byte>)source).CopyTo(destination);

    public static void Copy(Bytes32 source, Span<byte> destination) => ((ReadOnlySpan<byte>)source).CopyTo(destination);

    public static void Copy(Bytes48 source, Span<byte> destination) => ((ReadOnlySpan<byte>)source).CopyTo(destination);
}

/// <summary>12 octets: a TAI64N timestamp.</summary>
[InlineArray(Size)]
public struct Bytes12
{
    /// <summary>Octets in the field.</summary>
    public const int Size = 12;

    private byte _element0;
}
