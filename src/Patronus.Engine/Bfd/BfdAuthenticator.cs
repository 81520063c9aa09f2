using System.Security.Cryptography;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// Signs outgoing and verifies incoming control packets for one session's bfd.AuthType (RFC 5880
/// §6.7): Simple Password (§6.7.2), Keyed and Meticulous Keyed MD5 (§6.7.3), Keyed and Meticulous
/// Keyed SHA1 (§6.7.4). Immutable and safe to share; the sequence variables (bfd.XmitAuthSeq,
/// bfd.RcvAuthSeq, bfd.AuthSeqKnown) belong to the session and are passed in. Several keys may be
/// configured for verification (key rollover); <see cref="TransmitKeyId"/> signs.
/// </summary>
public sealed partial class BfdAuthenticator
{
    private const int MaxPacketLength = byte.MaxValue;
    private const int KeyedSectionOffset = BfdControlPacket.Size;
    private const int DigestOffset = KeyedSectionOffset + BfdAuthKeyed.DigestOffset;

    private readonly byte[]?[] _keys = new byte[]?[256];

    /// <param name="type">bfd.AuthType: 1–5.</param>
    /// <param name="keys">The keys accepted on receipt, distinct by id, with secrets of the type's length.</param>
    /// <param name="transmitKeyId">The key that signs transmitted packets: one of <paramref name="keys"/>.</param>
    public BfdAuthenticator(BfdAuthType type, IEnumerable<BfdAuthKey> keys, byte transmitKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var maxSecret = MaxSecretLength(type);
        if (maxSecret == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "not an authentication type (1–5)");
        }

        foreach (var key in keys)
        {
            if (key.Secret.Length < 1 || key.Secret.Length > maxSecret)
            {
                throw new ArgumentException($"key {key.Id}: a {type} secret has 1–{maxSecret} octets, not {key.Secret.Length}", nameof(keys));
            }

            if (_keys[key.Id] is not null)
            {
                throw new ArgumentException($"key {key.Id} is configured twice", nameof(keys));
            }

            _keys[key.Id] = key.Secret.ToArray();
        }

        if (_keys[transmitKeyId] is null)
        {
            throw new ArgumentException($"transmit key {transmitKeyId} is not among the keys", nameof(transmitKeyId));
        }

        Type = type;
        TransmitKeyId = transmitKeyId;
        SectionLength = type == BfdAuthType.SimplePassword
            ? BfdAuthSimplePassword.FixedSize + _keys[transmitKeyId]!.Length
            : BfdAuthKeyed.SizeOf(type);
    }

    /// <summary>bfd.AuthType.</summary>
    public BfdAuthType Type { get; }

    /// <summary>Auth Key ID of transmitted packets.</summary>
    public byte TransmitKeyId { get; }

    /// <summary>Octets of the Authentication Section this authenticator appends on transmit.</summary>
    public int SectionLength { get; }

    /// <summary>Whether packets carry a sequence number (the four keyed types).</summary>
    public bool UsesSequenceNumbers => Type != BfdAuthType.SimplePassword;

    /// <summary>Whether bfd.XmitAuthSeq must grow with every packet and a repeated number is a replay (types 3 and 5).</summary>
    public bool IsMeticulous => BfdAuthKeyed.IsMeticulous(Type);

    /// <summary>A single-key authenticator.</summary>
    public static BfdAuthenticator Create(BfdAuthType type, byte keyId, ReadOnlySpan<byte> secret) =>
        new(type, [new BfdAuthKey(keyId, secret.ToArray())], keyId);

    /// <summary>Longest secret of a type: 16 octets (password, MD5), 20 (SHA1); 0 for anything else.</summary>
    public static int MaxSecretLength(BfdAuthType type) => type switch
    {
        BfdAuthType.SimplePassword => BfdAuthSimplePassword.MaxPasswordLength,
        _ => BfdAuthKeyed.DigestLengthOf(type),
    };

    /// <summary>
    /// The receive window of §6.7.3/§6.7.4: with bfd.AuthSeqKnown clear anything goes; else, in the
    /// circular 32-bit space, Keyed accepts bfd.RcvAuthSeq to bfd.RcvAuthSeq + 3 × Detect Mult
    /// inclusive and Meticulous accepts bfd.RcvAuthSeq + 1 to the same bound. Detect Mult is the
    /// received packet's: the window covers the packets the sender can send in a detection time.
    /// </summary>
    public static bool IsSequenceInWindow(bool meticulous, bool sequenceKnown, uint lastReceived, uint received, byte detectMult)
    {
        if (!sequenceKnown)
        {
            return true;
        }

        var ahead = unchecked(received - lastReceived);
        return ahead <= 3u * detectMult && (!meticulous || ahead != 0);
    }

    /// <summary>
    /// Appends the Authentication Section to a packet whose mandatory section is already written
    /// (with the A bit set and Length = 24 + <see cref="SectionLength"/>) and, for the keyed types,
    /// replaces the key in the digest field by the digest of the whole packet (§6.7.3: "calculated
    /// over the entire BFD Control packet" with the key, zero-padded, in the field).
    /// </summary>
    /// <param name="packet">At least 24 + <see cref="SectionLength"/> octets, starting at the mandatory section.</param>
    /// <param name="sequence">bfd.XmitAuthSeq for this packet (ignored for simple password).</param>
    public bool TrySign(Span<byte> packet, uint sequence)
    {
        var length = BfdControlPacket.Size + SectionLength;
        if (packet.Length < length)
        {
            return false;
        }

        var key = _keys[TransmitKeyId]!;
        if (Type == BfdAuthType.SimplePassword)
        {
            return new BfdAuthSimplePassword(TransmitKeyId).TryWrite(packet[BfdControlPacket.Size..], key, out _);
        }

        if (!new BfdAuthKeyed(Type, TransmitKeyId, sequence).TryWrite(packet[KeyedSectionOffset..], key, out _))
        {
            return false;
        }

        Span<byte> digest = stackalloc byte[BfdAuthKeyed.Sha1Size - BfdAuthKeyed.DigestOffset];
        var written = Hash(packet[..length], digest);
        digest[..written].CopyTo(packet[DigestOffset..]);
        return true;
    }

    private int Hash(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        // MD5 and SHA1 are what RFC 5880 §6.7.3/§6.7.4 specify on the wire; interoperability, not a choice.
#pragma warning disable CA5350, CA5351 // required by the RFC
        return Type is BfdAuthType.KeyedMd5 or BfdAuthType.MeticulousKeyedMd5
            ? MD5.HashData(source, destination)
            : SHA1.HashData(source, destination);
#pragma warning restore CA5350, CA5351
    }
}
