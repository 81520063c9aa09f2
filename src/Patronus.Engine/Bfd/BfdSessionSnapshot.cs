using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>
/// An immutable copy of a session's variables (RFC 5880 §6.8.1) for readers outside the loop
/// that owns the <see cref="BfdSessionState"/>. Intervals in microseconds.
/// </summary>
public sealed record BfdSessionSnapshot(
    BfdState SessionState,
    BfdState RemoteSessionState,
    uint LocalDiscr,
    uint RemoteDiscr,
    BfdDiagnostic LocalDiag,
    BfdDiagnostic RemoteDiag,
    uint DesiredMinTxInterval,
    uint RequiredMinRxInterval,
    uint RemoteMinRxInterval,
    uint RemoteDesiredMinTxInterval,
    byte DetectMult,
    byte RemoteDetectMult,
    uint TransmitInterval,
    ulong DetectionTime,
    bool PollActive,
    BfdAuthType AuthType);
