using System.Buffers.Binary;

namespace Patronus.Server.Tests.TestSupport;

/// <summary>Protobuf wire types (protobuf.dev/programming-guides/encoding).</summary>
public enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// A minimal protobuf wire reader: tags, varints, length-delimited fields, fixed32/64, skipping.
/// Every read returns false on truncated or malformed input and never throws. Groups (wire types
/// 3 and 4, deprecated and not used by OTLP) are rejected.
/// </summary>
public ref struct OtlpProtobufReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _position;

    public readonly bool End => _position >= _buffer.Length;

    /// <summary>Reads a field's key: its number (≥ 1) and wire type.</summary>
    public bool TryReadTag(out int field, out WireType wireType)
    {
        field = 0;
        wireType = default;
        if (!TryReadVarint(out var key) || key >> 3 is 0 or > int.MaxValue)
        {
            return false;
        }

        field = (int)(key >> 3);
        wireType = (WireType)(key & 7);
        return wireType is WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32;
    }

    /// <summary>Base-128 varint, least significant group first, at most 10 bytes (64 bits).</summary>
    public bool TryReadVarint(out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _buffer.Length)
            {
                return false;
            }

            var b = _buffer[_position++];
            if (shift == 63 && b > 1)
            {
                return false; // a tenth byte may only carry the 64th bit
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    public bool TryReadLengthDelimited(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!TryReadVarint(out var length) || length > (ulong)(_buffer.Length - _position))
        {
            return false;
        }

        value = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return true;
    }

    public bool TryReadFixed64(out ulong value)
    {
        value = 0;
        if (_buffer.Length - _position < 8)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer[_position..]);
        _position += 8;
        return true;
    }

    public bool TryReadFixed32(out uint value)
    {
        value = 0;
        if (_buffer.Length - _position < 4)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt32LittleEndian(_buffer[_position..]);
        _position += 4;
        return true;
    }

    /// <summary>Skips a field's value of the given wire type (unknown fields are legal and ignored).</summary>
    public bool TrySkip(WireType wireType) => wireType switch
    {
        WireType.Varint => TryReadVarint(out _),
        WireType.Fixed64 => TryReadFixed64(out _),
        WireType.LengthDelimited => TryReadLengthDelimited(out _),
        WireType.Fixed32 => TryReadFixed32(out _),
        _ => false,
    };
}
