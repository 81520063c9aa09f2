namespace Patronus.Engine.Tunnels.Sdwan;

/// <summary>
/// What the passive estimator measured on one path's stream over its window. Percentages and
/// jitter are null when the window holds no packet (nothing to measure is not "no loss").
/// </summary>
/// <param name="Received">Distinct packets that arrived in the window.</param>
/// <param name="Expected">Sequence numbers the window's packets moved past (what should have arrived).</param>
/// <param name="LossPercent">Expected but not received, in percent of expected (never below 0).</param>
/// <param name="ReorderedPercent">Packets that arrived after a higher sequence, in percent of received.</param>
/// <param name="Duplicates">Copies of packets already received.</param>
/// <param name="JitterMs">Interarrival jitter (RFC 3550 §6.4.1), milliseconds: a running estimate, not windowed.</param>
public readonly record struct PassiveMeasurement(long Received, long Expected, double? LossPercent, double? ReorderedPercent, long Duplicates, double? JitterMs);
