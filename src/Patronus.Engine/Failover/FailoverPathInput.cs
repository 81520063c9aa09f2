namespace Patronus.Engine.Failover;

/// <summary>
/// What failover knows about one path when it decides (a projection of the path's health snapshot).
/// </summary>
/// <param name="PathId">The path.</param>
/// <param name="Score">Health score, 0–100, already capped by BFD (BFD Down caps it at 0). NaN counts as unacceptable.</param>
/// <param name="BfdDown">True when the path's BFD session is Down, false when it is not, null when the path has no BFD session.</param>
/// <param name="Measured">
/// False until the path has been measured at all (no probe result yet). Failover never acts on a path
/// without data: an unmeasured active path is left alone, an unmeasured candidate is not chosen.
/// </param>
public readonly record struct FailoverPathInput(string PathId, double Score, bool? BfdDown, bool Measured);
