using System.Collections.Frozen;
using System.Text;
using Patronus.Engine.Bfd.Wire;

namespace Patronus.Engine.Bfd;

/// <summary>Names of BFD values in the API, logs and metric labels (lower case, as FRR prints them).</summary>
public static class BfdNames
{
    private static readonly FrozenDictionary<BfdDropReason, string> s_dropReasons =
        Enum.GetValues<BfdDropReason>().ToFrozenDictionary(r => r, r => SnakeCase(r.ToString()));

    public static string State(BfdState state) => state switch
    {
        BfdState.AdminDown => "admin_down",
        BfdState.Down => "down",
        BfdState.Init => "init",
        _ => "up",
    };

    public static string Diagnostic(BfdDiagnostic diagnostic) => diagnostic switch
    {
        BfdDiagnostic.None => "none",
        BfdDiagnostic.ControlDetectionTimeExpired => "control_detection_time_expired",
        BfdDiagnostic.EchoFunctionFailed => "echo_function_failed",
        BfdDiagnostic.NeighborSignaledSessionDown => "neighbor_signaled_session_down",
        BfdDiagnostic.ForwardingPlaneReset => "forwarding_plane_reset",
        BfdDiagnostic.PathDown => "path_down",
        BfdDiagnostic.ConcatenatedPathDown => "concatenated_path_down",
        BfdDiagnostic.AdministrativelyDown => "administratively_down",
        BfdDiagnostic.ReverseConcatenatedPathDown => "reverse_concatenated_path_down",
        _ => "reserved",
    };

    /// <summary>snake_case of a drop reason, allocated once per value.</summary>
    public static string DropReason(BfdDropReason reason) => s_dropReasons.TryGetValue(reason, out var name) ? name : "unknown";

    private static string SnakeCase(string pascal)
    {
        var b = new StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && b.Length > 0)
            {
                b.Append('_');
            }

            b.Append(char.ToLowerInvariant(c));
        }

        return b.ToString();
    }
}
