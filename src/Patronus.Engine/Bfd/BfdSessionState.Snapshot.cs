namespace Patronus.Engine.Bfd;

public sealed partial class BfdSessionState
{
    /// <summary>
    /// A new snapshot when any variable differs from <paramref name="previous"/>, else null: the
    /// runtime republishes only what changed (a packet that changes nothing allocates nothing).
    /// </summary>
    public BfdSessionSnapshot? ToSnapshotIfChanged(BfdSessionSnapshot? previous) =>
        previous is not null &&
        previous.SessionState == SessionState &&
        previous.RemoteSessionState == RemoteSessionState &&
        previous.LocalDiscr == LocalDiscr &&
        previous.RemoteDiscr == RemoteDiscr &&
        previous.LocalDiag == LocalDiag &&
        previous.RemoteDiag == RemoteDiagnostic &&
        previous.DesiredMinTxInterval == DesiredMinTxInterval &&
        previous.RequiredMinRxInterval == RequiredMinRxInterval &&
        previous.RemoteMinRxInterval == RemoteMinRxInterval &&
        previous.RemoteDesiredMinTxInterval == RemoteDesiredMinTxInterval &&
        previous.DetectMult == DetectMult &&
        previous.RemoteDetectMult == RemoteDetectMult &&
        previous.TransmitInterval == TransmitInterval &&
        previous.DetectionTime == DetectionTime &&
        previous.PollActive == PollActive &&
        previous.AuthType == AuthType
            ? null
            : ToSnapshot();
}
