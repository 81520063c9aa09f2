namespace Patronus.Lab.Tests.TestSupport;

/// <summary>What the lab needs from the machine; a missing piece fails the test with the fix.</summary>
public static class LabRequirements
{
    private static readonly (string Tool, string Package)[] s_tools = [("ip", "iproute2"), ("nft", "nftables"), ("curl", "curl"), ("ping", "iputils-ping"), ("vtysh", "frr")];

    public static void Check()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Fail(
                "The lab tests need root: they create network namespaces, veth links and nftables rules (CI runs as root). " +
                $"Run them as root, or set {LabFactAttribute.SkipVariable}=1 to skip them on a machine without root.");
        }

        var missing = s_tools.Where(t => FindOnPath(t.Tool) is null).ToList();
        if (missing.Count > 0)
        {
            Assert.Fail(
                $"The lab needs {string.Join(", ", missing.Select(t => $"'{t.Tool}'"))}, not found on PATH: " +
                $"apt-get install -y {string.Join(' ', missing.Select(t => t.Package))} (test.sh installs them when run as root).");
        }
    }

    private static string? FindOnPath(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        // Root's PATH usually has the sbin directories, a sudo'ed shell sometimes not: look there too.
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(File.Exists);
    }
}
