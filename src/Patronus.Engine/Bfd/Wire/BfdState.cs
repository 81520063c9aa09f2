namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// A session state as carried in the State (Sta) field of a control packet (RFC 5880 §4.1) and
/// held in bfd.SessionState / bfd.RemoteSessionState (§6.8.1). The values are the wire's.
/// </summary>
public enum BfdState
{
    /// <summary>Administratively held down (§6.8.16): the session is not to come up.</summary>
    AdminDown = 0,

    /// <summary>Down, or just created: no three-way handshake yet.</summary>
    Down = 1,

    /// <summary>The remote system was heard in Down; waiting for it to confirm (§6.2).</summary>
    Init = 2,

    /// <summary>Both systems hear each other.</summary>
    Up = 3,
}
