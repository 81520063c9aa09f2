namespace Patronus.Engine.Bfd.Wire;

/// <summary>
/// The Diagnostic (Diag) field of a control packet and bfd.LocalDiag: the local system's reason
/// for the last change in session state (RFC 5880 §4.1). Values 9–31 are reserved; a received
/// reserved value is kept as its number.
/// </summary>
public enum BfdDiagnostic
{
    /// <summary>0 No Diagnostic.</summary>
    None = 0,

    /// <summary>1 Control Detection Time Expired (§6.8.4).</summary>
    ControlDetectionTimeExpired = 1,

    /// <summary>2 Echo Function Failed (§6.8.5; never set here: no Echo function).</summary>
    EchoFunctionFailed = 2,

    /// <summary>3 Neighbor Signaled Session Down (§6.8.6).</summary>
    NeighborSignaledSessionDown = 3,

    /// <summary>4 Forwarding Plane Reset (§6.8.15).</summary>
    ForwardingPlaneReset = 4,

    /// <summary>5 Path Down (§6.8.16: a path failure signalled from outside BFD).</summary>
    PathDown = 5,

    /// <summary>6 Concatenated Path Down (§6.8.17).</summary>
    ConcatenatedPathDown = 6,

    /// <summary>7 Administratively Down (§6.8.16).</summary>
    AdministrativelyDown = 7,

    /// <summary>8 Reverse Concatenated Path Down (§6.8.17).</summary>
    ReverseConcatenatedPathDown = 8,
}
