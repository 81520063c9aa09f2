using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tunnels.Noise;

public sealed partial class NoiseHandshake
{
    /// <summary>
    /// Builds message 1 (whitepaper §5.4.2) with <paramref name="localIndex"/> as sender index and
    /// <paramref name="timestamp"/> (TAI64N) sealed inside; mac1 and mac2 are left zero. Replaces
    /// any handshake in progress. False only when a Diffie-Hellman result is all zero (the peer's
    /// static key is a low-order point).
    /// </summary>
    public bool TryCreateInitiation(uint localIndex, ReadOnlySpan<byte> timestamp, out HandshakeInitiation message)
    {
        message = default;
        if (!_staticStaticValid || timestamp.Length != Tai64N.Size)
        {
            return false;
        }

        Span<byte> key = stackalloc byte[NoiseAead.KeySize];
        Span<byte> dh = stackalloc byte[Curve25519.KeySize];
        Span<byte> kdf = stackalloc byte[2 * NoiseHash.HashSize];
        Bytes32 ephemeralPublic = default;
        Bytes48 encryptedStatic = default;
        Bytes28 encryptedTimestamp = default;
        lock (_lock)
        {
            ClearLocked();
            NoiseLabels.InitialChainKey.CopyTo(_chainKey);
            NoiseHash.Hash(NoiseLabels.InitialHash, _remoteStatic, _hash);

            Curve25519.GeneratePrivateKey(_localEphemeral);
            Curve25519.PublicKey(_localEphemeral, ephemeralPublic);
            MixHash(ephemeralPublic);
            MixChainKey(ephemeralPublic);

            // es
            if (!Curve25519.TryAgree(_localEphemeral, _remoteStatic, dh))
            {
                ClearLocked();
                return false;
            }

            MixKey(dh, key, kdf);
            NoiseAead.Seal(key, 0, _local.PublicKey, _hash, encryptedStatic);
            MixHash(encryptedStatic);

            // ss
            MixKey(_staticStatic, key, kdf);
            NoiseAead.Seal(key, 0, timestamp, _hash, encryptedTimestamp);
            MixHash(encryptedTimestamp);

            _localIndex = localIndex;
            _stage = HandshakeStage.InitiationCreated;
        }

        key.Clear();
        dh.Clear();
        kdf.Clear();
        message = new HandshakeInitiation(localIndex, ephemeralPublic, encryptedStatic, encryptedTimestamp, default, default);
        return true;
    }

    /// <summary>
    /// Consumes message 2 (whitepaper §5.4.3) as the initiator. The caller found this handshake
    /// by the message's receiver index; nothing changes unless it authenticates.
    /// </summary>
    public HandshakeResult ConsumeResponse(in HandshakeResponse message)
    {
        Span<byte> hash = stackalloc byte[NoiseHash.HashSize];
        Span<byte> chainKey = stackalloc byte[NoiseHash.HashSize];
        Span<byte> dh = stackalloc byte[Curve25519.KeySize];
        Span<byte> kdf = stackalloc byte[3 * NoiseHash.HashSize];
        Span<byte> empty = stackalloc byte[0];
        var remoteEphemeral = message.Ephemeral;
        var encryptedNothing = message.EncryptedNothing;
        try
        {
            lock (_lock)
            {
                if (_stage != HandshakeStage.InitiationCreated || message.ReceiverIndex != _localIndex)
                {
                    return HandshakeResult.UnexpectedState;
                }

                // Work on copies: the state moves only when the message authenticated.
                ((ReadOnlySpan<byte>)_hash).CopyTo(hash);
                ((ReadOnlySpan<byte>)_chainKey).CopyTo(chainKey);
                NoiseHash.Hash(hash, remoteEphemeral, hash);
                NoiseHash.Kdf(chainKey, remoteEphemeral, 1, chainKey);

                // ee, se
                if (!Curve25519.TryAgree(_localEphemeral, remoteEphemeral, dh))
                {
                    return HandshakeResult.BadKey;
                }

                NoiseHash.Kdf(chainKey, dh, 1, chainKey);
                if (!Curve25519.TryAgree(_local.PrivateKey, remoteEphemeral, dh))
                {
                    return HandshakeResult.BadKey;
                }

                NoiseHash.Kdf(chainKey, dh, 1, chainKey);

                // psk
                NoiseHash.Kdf(chainKey, _presharedKey, 3, kdf);
                kdf[..NoiseHash.HashSize].CopyTo(chainKey);
                NoiseHash.Hash(hash, kdf.Slice(NoiseHash.HashSize, NoiseHash.HashSize), hash);
                if (!NoiseAead.TryOpen(kdf[(2 * NoiseHash.HashSize)..], 0, encryptedNothing, hash, empty))
                {
                    return HandshakeResult.DecryptFailed;
                }

                NoiseHash.Hash(hash, encryptedNothing, hash);
                hash.CopyTo(_hash);
                chainKey.CopyTo(_chainKey);
                _remoteIndex = message.SenderIndex;
                _stage = HandshakeStage.ResponseConsumed;
                return HandshakeResult.Ok;
            }
        }
        finally
        {
            chainKey.Clear();
            dh.Clear();
            kdf.Clear();
        }
    }

    private void MixHash(ReadOnlySpan<byte> data) => NoiseHash.Hash(_hash, data, _hash);

    private void MixChainKey(ReadOnlySpan<byte> data) => NoiseHash.Kdf(_chainKey, data, 1, _chainKey);

    // (C, k) = Kdf2(C, data)
    private void MixKey(ReadOnlySpan<byte> data, Span<byte> key, Span<byte> kdf)
    {
        NoiseHash.Kdf(_chainKey, data, 2, kdf);
        kdf[..NoiseHash.HashSize].CopyTo(_chainKey);
        kdf[NoiseHash.HashSize..].CopyTo(key);
    }
}
