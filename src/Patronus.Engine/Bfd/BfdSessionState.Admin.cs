using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

public sealed partial class BfdSessionState
{
    /// <summary>
    /// Disables the session (§6.8.16): AdminDown with <paramref name="diagnostic"/> (7
    /// Administratively Down, or 5 Path Down when a path failure is signalled from outside BFD).
    /// Packets keep going out, in AdminDown, at the slow rate, so the peer goes Down with diag 3
    /// instead of timing out; received packets are discarded. Null when already AdminDown (the
    /// diagnostic is updated).
    /// </summary>
    public BfdStateChange? SetAdminDown(BfdDiagnostic diagnostic, long now)
    {
        if (SessionState == BfdState.AdminDown)
        {
            LocalDiag = diagnostic;
            return null;
        }

        return Transition(new(BfdState.AdminDown, diagnostic, BfdStateChangeReason.AdminDown), now);
    }

    /// <summary>
    /// Enables the session again (§6.8.16): AdminDown → Down, keeping bfd.LocalDiag (the RFC sets
    /// only the state); the handshake then starts over. Null when not AdminDown.
    /// </summary>
    public BfdStateChange? ClearAdminDown(long now)
    {
        if (SessionState != BfdState.AdminDown)
        {
            return null;
        }

        return Transition(new(BfdState.Down, LocalDiag, BfdStateChangeReason.AdminUp), now);
    }

    /// <summary>
    /// Applies new settings (§6.8.3): the interval changes start a Poll when Up; Detect Mult and
    /// the role apply at once. A different bfd.AuthType clears bfd.AuthSeqKnown (the peer changes
    /// too, and its numbers start over).
    /// </summary>
    public void Reconfigure(BfdSessionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var authType = settings.Authenticator?.Type ?? BfdAuthType.None;
        if (authType != AuthType)
        {
            AuthSeqKnown = false;
            AuthType = authType;
        }

        _settings = settings;
        DetectMult = settings.DetectMult;
        OnAdvertisedTimersChanged();
    }
}
