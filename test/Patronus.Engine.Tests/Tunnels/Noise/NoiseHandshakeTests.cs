using Microsoft.Extensions.Time.Testing;
using Patronus.Engine.Tunnels.Noise;
using Patronus.Engine.Tunnels.Wire;

namespace Patronus.Engine.Tests.Tunnels.Noise;

public class NoiseHandshakeTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    [Fact]
    public void Handshake_InitiatorAndResponder_DeriveCrossedTransportKeys()
    {
        var pair = Pair.Create(_time);

        using var keys = pair.Complete();

        Assert.Equal(keys.Initiator.LocalIndex, keys.Responder.RemoteIndex);
        Assert.Equal(keys.Responder.LocalIndex, keys.Initiator.RemoteIndex);
        Assert.True(keys.Initiator.IsInitiator);
        Assert.False(keys.Responder.IsInitiator);
        AssertTransport(keys.Initiator, keys.Responder);
        AssertTransport(keys.Responder, keys.Initiator);
        Assert.Equal(HandshakeStage.None, pair.Initiator.Stage);
        Assert.Equal(HandshakeStage.None, pair.ResponderView.Stage);
    }

    [Fact]
    public void Handshake_WithMatchingPresharedKey_Completes()
    {
        var psk = Enumerable.Repeat((byte)7, 32).ToArray();
        var pair = Pair.Create(_time, psk, psk);

        using var keys = pair.Complete();

        AssertTransport(keys.Initiator, keys.Responder);
    }

    [Fact]
    public void ConsumeResponse_PresharedKeyMismatch_FailsToDecryptAndKeepsState()
    {
        var pair = Pair.Create(_time, Enumerable.Repeat((byte)7, 32).ToArray(), Enumerable.Repeat((byte)8, 32).ToArray());
        var initiation = pair.Initiate();
        Assert.Equal(HandshakeResult.Ok, pair.Consume(initiation, out _));
        Assert.True(pair.ResponderView.TryCreateResponse(2, out var response));

        Assert.Equal(HandshakeResult.DecryptFailed, pair.Initiator.ConsumeResponse(response));
        Assert.Equal(HandshakeStage.InitiationCreated, pair.Initiator.Stage);
    }

    [Fact]
    public void ConsumeInitiation_UnknownStaticKey_ReturnsUnknownPeer()
    {
        var pair = Pair.Create(_time);
        var initiation = pair.Initiate();

        var result = NoiseHandshake.ConsumeInitiation(pair.ResponderIdentity, initiation, _ => null, out var found);

        Assert.Equal(HandshakeResult.UnknownPeer, result);
        Assert.Null(found);
    }

    [Fact]
    public void ConsumeInitiation_Replayed_ReturnsStaleTimestamp()
    {
        var pair = Pair.Create(_time);
        var initiation = pair.Initiate();
        Assert.Equal(HandshakeResult.Ok, pair.Consume(initiation, out _));
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(HandshakeResult.StaleTimestamp, pair.Consume(initiation, out _));
    }

    [Fact]
    public void ConsumeInitiation_NewerWithinOneFiftiethSecond_ReturnsTooFrequentThenOkLater()
    {
        var pair = Pair.Create(_time);
        Assert.Equal(HandshakeResult.Ok, pair.Consume(pair.Initiate(), out _));

        // The wall clock moved on enough for a newer TAI64N (≥ 2^24 ns), the monotonic clock did not.
        var newer = pair.Initiate(DateTimeOffset.FromUnixTimeSeconds(1_700_000_001));
        Assert.Equal(HandshakeResult.TooFrequent, pair.Consume(newer, out _));

        _time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Equal(HandshakeResult.Ok, pair.Consume(newer, out _));
    }

    [Fact]
    public void ConsumeInitiation_TamperedField_FailsAndKeepsTimestamp()
    {
        var pair = Pair.Create(_time);
        var initiation = pair.Initiate();
        var staticField = initiation.EncryptedStatic;
        staticField[0] ^= 1;

        Assert.Equal(HandshakeResult.DecryptFailed, pair.Consume(initiation with { EncryptedStatic = staticField }, out _));

        // The genuine message is still fresh: the forgery moved nothing.
        Assert.Equal(HandshakeResult.Ok, pair.Consume(initiation, out _));
    }

    [Fact]
    public void ConsumeResponse_WrongReceiverIndexOrNoInitiation_ReturnsUnexpectedState()
    {
        var pair = Pair.Create(_time);
        var initiation = pair.Initiate();
        Assert.Equal(HandshakeResult.Ok, pair.Consume(initiation, out _));
        Assert.True(pair.ResponderView.TryCreateResponse(2, out var response));

        Assert.Equal(HandshakeResult.UnexpectedState, pair.Initiator.ConsumeResponse(response with { ReceiverIndex = response.ReceiverIndex + 1 }));
        Assert.Equal(HandshakeResult.Ok, pair.Initiator.ConsumeResponse(response));
        Assert.Equal(HandshakeResult.UnexpectedState, pair.Initiator.ConsumeResponse(response));
    }

    [Fact]
    public void ConsumeResponse_TamperedEphemeral_FailsThenGenuineSucceeds()
    {
        var pair = Pair.Create(_time);
        Assert.Equal(HandshakeResult.Ok, pair.Consume(pair.Initiate(), out _));
        Assert.True(pair.ResponderView.TryCreateResponse(2, out var response));
        var ephemeral = response.Ephemeral;
        ephemeral[5] ^= 0x40;

        Assert.NotEqual(HandshakeResult.Ok, pair.Initiator.ConsumeResponse(response with { Ephemeral = ephemeral }));
        Assert.Equal(HandshakeResult.Ok, pair.Initiator.ConsumeResponse(response));
    }

    [Fact]
    public void SessionKeys_Disposed_SealAndOpenFailWithoutThrowing()
    {
        var pair = Pair.Create(_time);
        var keys = pair.Complete();
        var sealedData = new byte[16];
        Assert.True(keys.Initiator.TrySeal(0, default, sealedData));

        keys.Dispose();

        Assert.False(keys.Initiator.TrySeal(1, default, sealedData));
        Assert.False(keys.Responder.TryOpen(0, sealedData, new byte[1]));
    }

    [Fact]
    public void TryBeginSession_BeforeHandshakeCompletes_ReturnsFalse()
    {
        var pair = Pair.Create(_time);
        Assert.False(pair.Initiator.TryBeginSession(out _));
        pair.Initiate();
        Assert.False(pair.Initiator.TryBeginSession(out _));
    }

    private static void AssertTransport(SessionKeys sender, SessionKeys receiver)
    {
        var plaintext = "ping through the tunnel"u8.ToArray();
        var sealedData = new byte[plaintext.Length + 16];
        Assert.True(sender.TryNextCounter(out var counter));
        Assert.True(sender.TrySeal(counter, plaintext, sealedData));
        var opened = new byte[plaintext.Length];
        Assert.True(receiver.TryOpen(counter, sealedData, opened));
        Assert.True(receiver.TryAcceptCounter(counter));
        Assert.False(receiver.TryAcceptCounter(counter));
        Assert.Equal(plaintext, opened);
    }

    internal sealed class Pair
    {
        private readonly TimeProvider _time;

        private Pair(TimeProvider time, byte[] initiatorPsk, byte[] responderPsk)
        {
            _time = time;
            var a = new byte[32];
            var b = new byte[32];
            Curve25519.GeneratePrivateKey(a);
            Curve25519.GeneratePrivateKey(b);
            InitiatorIdentity = new NoiseIdentity(a);
            ResponderIdentity = new NoiseIdentity(b);
            Initiator = new NoiseHandshake(InitiatorIdentity, ResponderIdentity.PublicKey, initiatorPsk, time);
            ResponderView = new NoiseHandshake(ResponderIdentity, InitiatorIdentity.PublicKey, responderPsk, time);
        }

        public NoiseIdentity InitiatorIdentity { get; }

        public NoiseIdentity ResponderIdentity { get; }

        public NoiseHandshake Initiator { get; }

        public NoiseHandshake ResponderView { get; }

        public static Pair Create(TimeProvider time, byte[]? initiatorPsk = null, byte[]? responderPsk = null) =>
            new(time, initiatorPsk ?? [], responderPsk ?? []);

        public HandshakeInitiation Initiate(DateTimeOffset? at = null)
        {
            var stamp = new byte[Tai64N.Size];
            Tai64N.Write(at ?? _time.GetUtcNow(), stamp);
            Assert.True(Initiator.TryCreateInitiation(1, stamp, out var message));
            return message;
        }

        public HandshakeResult Consume(in HandshakeInitiation message, out NoiseHandshake? found)
        {
            var initiatorKey = InitiatorIdentity.PublicKey.ToArray();
            return NoiseHandshake.ConsumeInitiation(
                ResponderIdentity,
                message,
                key => ((ReadOnlySpan<byte>)key).SequenceEqual(initiatorKey) ? ResponderView : null,
                out found);
        }

        public Keys Complete()
        {
            Assert.Equal(HandshakeResult.Ok, Consume(Initiate(), out var found));
            Assert.Same(ResponderView, found);
            Assert.True(ResponderView.TryCreateResponse(2, out var response));
            Assert.Equal(HandshakeResult.Ok, Initiator.ConsumeResponse(response));
            Assert.True(Initiator.TryBeginSession(out var initiatorKeys));
            Assert.True(ResponderView.TryBeginSession(out var responderKeys));
            return new Keys(initiatorKeys!, responderKeys!);
        }
    }

    internal sealed record Keys(SessionKeys Initiator, SessionKeys Responder) : IDisposable
    {
        public void Dispose()
        {
            Initiator.Dispose();
            Responder.Dispose();
        }
    }
}
