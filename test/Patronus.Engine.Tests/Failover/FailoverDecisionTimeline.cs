using System.Globalization;
using Patronus.Engine.Failover;
using Patronus.Engine.Loops;
using Patronus.Engine.Paths;

namespace Patronus.Engine.Tests.Failover;

/// <summary>
/// Runs a timeline of path inputs through <see cref="FailoverDecision.Decide"/>, feeding each
/// outcome's state into the next step, and collects the events and wake times as short strings that
/// read well in a test table. No clock: times are seconds of monotonic time (<see cref="E"/>), with
/// the wall clock at <see cref="T0"/> plus the same seconds unless a step moved it.
/// </summary>
/// <remarks>
/// <para>Config (space separated, all optional): <c>backups=b1,b2</c> (default; <c>backups=</c> for
/// none), <c>fo=50</c> failover threshold, <c>fb=80</c> failback threshold, <c>delay=60</c> failback
/// delay in seconds, <c>damp=3/300/600</c> max switches / window s / hold s (default: the
/// production default, 3/300/600), <c>off</c> for a disabled policy. The primary is always p1.</para>
/// <para>Timeline: steps separated by <c>|</c>; a step is a time offset in seconds followed by
/// <c>id=value</c> changes. Inputs carry over to later steps, so a step with only a time is a timer
/// wake with nothing new. <c>wall+3600</c> / <c>wall-3600</c> steps the wall clock by that many
/// seconds from this step on (monotonic time runs on undisturbed). Values: <c>90</c> measured score, suffix <c>!</c> BFD Down, <c>+</c> BFD Up
/// (not Down), <c>?</c> not measured; <c>x</c> removes the path from the inputs; <c>NaN</c> works.</para>
/// <para>Events: <c>10 Failover p1&gt;b1 | 70 Failback b1&gt;p1</c>, with <c>Failed</c> (to <c>-</c>)
/// and <c>Dampened</c>, at the monotonic second of the step that made them. Wakes: one per step, the
/// monotonic second or <c>-</c>.</para>
/// </remarks>
internal static class FailoverDecisionTimeline
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Both clocks <paramref name="seconds"/> after the start, the wall clock stepped by <paramref name="wallStep"/> seconds.</summary>
    public static LoopTime At(double seconds, double wallStep = 0) =>
        new(E(seconds), T0 + TimeSpan.FromSeconds(seconds + wallStep));

    /// <summary>The instant <paramref name="seconds"/> after the start on the monotonic clock (what the policy state holds).</summary>
    public static TimeSpan E(double seconds) => TimeSpan.FromSeconds(seconds);

    public static FailoverPolicy Policy(string config = "") => Parse(config).Policy;

    public static FailoverTimelineResult Run(string config, string timeline, FailoverPolicyState? initial = null)
    {
        var (policy, dampening) = Parse(config);
        var state = initial ?? FailoverPolicyState.Initial(policy);
        var inputs = new Dictionary<string, FailoverPathInput>(StringComparer.Ordinal);
        var events = new List<FailoverEvent>();
        var formatted = new List<string>();
        var wakes = new List<string>();
        var outcomes = new List<FailoverOutcome>();
        var wallStep = 0.0;
        foreach (var step in timeline.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var tokens = step.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var change in tokens.Skip(1))
            {
                if (change.StartsWith("wall", StringComparison.Ordinal))
                {
                    wallStep += double.Parse(change[4..], CultureInfo.InvariantCulture);
                    continue;
                }

                Apply(inputs, change);
            }

            var now = At(double.Parse(tokens[0], CultureInfo.InvariantCulture), wallStep);
            var outcome = FailoverDecision.Decide(policy, state, inputs, now, dampening);
            outcomes.Add(outcome);
            state = outcome.State;
            if (outcome.Event is { } e)
            {
                events.Add(e);
                formatted.Add($"{Seconds(now.Elapsed)} {Format(e)}");
            }

            wakes.Add(outcome.WakeAt is { } w ? Seconds(w) : "-");
        }

        return new(string.Join(" | ", formatted), string.Join(' ', wakes), state, events, outcomes);
    }

    /// <summary>An event without its time: <c>Failover p1&gt;b1</c>.</summary>
    public static string Format(FailoverEvent e)
    {
        var kind = e.Type switch
        {
            FailoverEventType.FailoverTriggered => "Failover",
            FailoverEventType.FailbackCompleted => "Failback",
            FailoverEventType.FailoverFailed => "Failed",
            FailoverEventType.FlapDampened => "Dampened",
            _ => e.Type.ToString(),
        };
        return $"{kind} {e.FromPathId ?? "-"}>{e.ToPathId ?? "-"}";
    }

    private static string Seconds(TimeSpan at) => at.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    private static void Apply(Dictionary<string, FailoverPathInput> inputs, string change)
    {
        var (id, value) = (change[..change.IndexOf('=', StringComparison.Ordinal)], change[(change.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        if (value == "x")
        {
            inputs.Remove(id);
            return;
        }

        bool? bfdDown = null;
        var measured = true;
        while (value.Length > 0 && value[^1] is '!' or '+' or '?')
        {
            switch (value[^1])
            {
                case '!': bfdDown = true; break;
                case '+': bfdDown = false; break;
                default: measured = false; break;
            }

            value = value[..^1];
        }

        var score = value.Length == 0 ? 0 : double.Parse(value, CultureInfo.InvariantCulture);
        inputs[id] = new FailoverPathInput(id, score, bfdDown, measured);
    }

    private static (FailoverPolicy Policy, FailoverDampening Dampening) Parse(string config)
    {
        string[] backups = ["b1", "b2"];
        double failover = 50, failback = 80, delay = 60;
        var enabled = true;
        var dampening = FailoverDampening.Default;
        foreach (var token in config.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = token.Split('=');
            switch (parts[0])
            {
                case "off": enabled = false; break;
                case "backups": backups = parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                case "fo": failover = double.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "fb": failback = double.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "delay": delay = double.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "damp":
                    var d = parts[1].Split('/').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                    dampening = new((int)d[0], TimeSpan.FromSeconds(d[1]), TimeSpan.FromSeconds(d[2]));
                    break;
                default: throw new ArgumentException($"unknown config token {token}", nameof(config));
            }
        }

        var policy = new FailoverPolicy(
            7, "test", "p1", backups, failover, failback, TimeSpan.FromSeconds(delay), enabled, [], ItemSource.Config);
        return (policy, dampening);
    }
}

/// <summary>What a timeline produced.</summary>
internal sealed record FailoverTimelineResult(
    string Events,
    string Wakes,
    FailoverPolicyState State,
    IReadOnlyList<FailoverEvent> All,
    IReadOnlyList<FailoverOutcome> Outcomes);
