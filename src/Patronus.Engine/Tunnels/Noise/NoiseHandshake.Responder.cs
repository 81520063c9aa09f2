using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

public sealed partial class NoiseHandshake
{
    /// <summary>
    /// Consumes message 1 (whitepaper §5.4.2) as the responder: opens the initiator's static key
    /// with <paramref name="local"/>, finds its handshake with <paramref name="findPeer"/>, then
    /// checks the timestamp against that peer's last one and the initiation rate. Nothing changes
    /// unless the message authenticated and is fresh; then <paramref name="handshake"/> is at
    /// <see cref="HandshakeStage.InitiationConsumed"/>.
    /// </summary>
    public static HandshakeResult ConsumeInitiation(
        NoiseIdentity local, in HandshakeInitiation message, Func<Bytes32, NoiseHandshake?> findPeer, out NoiseHandshake? handshake)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(findPeer);
        handshake = null;
        Span<byte> hash = stackalloc byte[NoiseHash.HashSize];
        Span<byte> chainKey = stackalloc byte[NoiseHash.HashSize];
        Span<byte> dh = stackalloc byte[Curve25519.KeySize];
        Span<byte> kdf = stackalloc byte[2 * NoiseHash.HashSize];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        var ephemeral = message.Ephemeral;
        var encryptedStatic = message.EncryptedStatic;
        var encryptedTimestamp = message.EncryptedTimestamp;
        Bytes32 remoteStatic = default;
        try
        {
            NoiseLabels.InitialChainKey.CopyTo(chainKey);
            NoiseHash.Hash(NoiseLabels.InitialHash, local.PublicKey, hash);
            NoiseHash.Hash(hash, ephemeral, hash);
            NoiseHash.Kdf(chainKey, ephemeral, 1, chainKey);

            // es
            if (!Curve25519.TryAgree(local.PrivateKey, ephemeral, dh))
            {
                return HandshakeResult.BadKey;
            }

            NoiseHash.Kdf(chainKey, dh, 2, kdf);
            kdf[..NoiseHash.HashSize].CopyTo(chainKey);
            if (!NoiseAead.TryOpen(kdf[NoiseHash.HashSize..], 0, encryptedStatic, hash, remoteStatic))
            {
                return HandshakeResult.DecryptFailed;
            }

            NoiseHash.Hash(hash, encryptedStatic, hash);
            var peer = findPeer(remoteStatic);
            if (peer is null)
            {
                return HandshakeResult.UnknownPeer;
            }

            // ss
            if (!peer._staticStaticValid)
            {
                return HandshakeResult.BadKey;
            }

            NoiseHash.Kdf(chainKey, peer._staticStatic, 2, kdf);
            kdf[..NoiseHash.HashSize].CopyTo(chainKey);
            if (!NoiseAead.TryOpen(kdf[NoiseHash.HashSize..], 0, encryptedTimestamp, hash, timestamp))
            {
                return HandshakeResult.DecryptFailed;
            }

            NoiseHash.Hash(hash, encryptedTimestamp, hash);
            var result = peer.AcceptInitiation(message, hash, chainKey, timestamp);
            if (result == HandshakeResult.Ok)
            {
                handshake = peer;
            }

            return result;
        }
        finally
        {
            chainKey.Clear();
            dh.Clear();
            kdf.Clear();
        }
    }

    private HandshakeResult AcceptInitiation(in HandshakeInitiation message, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> chainKey, ReadOnlySpan<byte> timestamp)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (!Tai64N.IsAfter(timestamp, _lastTimestamp))
            {
                return HandshakeResult.StaleTimestamp;
            }

            if (_anyInitiationConsumed && _time.GetElapsedTime(_lastInitiationConsumed, now) < InitiationRate)
            {
                return HandshakeResult.TooFrequent;
            }

            ClearLocked();
            hash.CopyTo(_hash);
            chainKey.CopyTo(_chainKey);
            var ephemeral = message.Ephemeral;
            ((ReadOnlySpan<byte>)ephemeral).CopyTo(_remoteEphemeral);
            _remoteIndex = message.SenderIndex;
            timestamp.CopyTo(_lastTimestamp);
            _lastInitiationConsumed = now;
            _anyInitiationConsumed = true;
            _stage = HandshakeStage.InitiationConsumed;
            return HandshakeResult.Ok;
        }
    }

    /// <summary>
    /// Builds message 2 (whitepaper §5.4.3) with <paramref name="localIndex"/> as sender index;
    /// mac1 and mac2 are left zero. False when no initiation was consumed or a Diffie-Hellman
    /// result is all zero.
    /// </summary>
    public bool TryCreateResponse(uint localIndex, out HandshakeResponse message)
    {
        message = default;
        Span<byte> dh = stackalloc byte[Curve25519.KeySize];
        Span<byte> kdf = stackalloc byte[3 * NoiseHash.HashSize];
        Bytes32 ephemeralPublic = default;
        Bytes16 encryptedNothing = default;
        uint remoteIndex;
        lock (_lock)
        {
            if (_stage != HandshakeStage.InitiationConsumed)
            {
                return false;
            }

            Curve25519.GeneratePrivateKey(_localEphemeral);
            Curve25519.PublicKey(_localEphemeral, ephemeralPublic);
            MixHash(ephemeralPublic);
            MixChainKey(ephemeralPublic);

            // ee, se
            if (!Curve25519.TryAgree(_localEphemeral, _remoteEphemeral, dh))
            {
                ClearLocked();
                return false;
            }

            MixChainKey(dh);
            if (!Curve25519.TryAgree(_localEphemeral, _remoteStatic, dh))
            {
                ClearLocked();
                return false;
            }

            MixChainKey(dh);

            // psk
            NoiseHash.Kdf(_chainKey, _presharedKey, 3, kdf);
            kdf[..NoiseHash.HashSize].CopyTo(_chainKey);
            MixHash(kdf.Slice(NoiseHash.HashSize, NoiseHash.HashSize));
            NoiseAead.Seal(kdf[(2 * NoiseHash.HashSize)..], 0, default, _hash, encryptedNothing);
            MixHash(encryptedNothing);

            _localIndex = localIndex;
            remoteIndex = _remoteIndex;
            _stage = HandshakeStage.ResponseCreated;
        }

        dh.Clear();
        kdf.Clear();
        message = new HandshakeResponse(localIndex, remoteIndex, ephemeralPublic, encryptedNothing, default, default);
        return true;
    }
}
