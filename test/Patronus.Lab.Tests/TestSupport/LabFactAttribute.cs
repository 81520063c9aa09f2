namespace Patronus.Lab.Tests.TestSupport;

/// <summary>
/// A lab test: it needs root (network namespaces, veth links, nftables) and fails with a clear
/// message without it (<see cref="LabRequirements"/>), so CI never passes by silently skipping.
/// A developer without root sets <c>PATRONUS_LAB_SKIP=1</c> to skip the lab with a reason instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LabFactAttribute : FactAttribute
{
    public const string SkipVariable = "PATRONUS_LAB_SKIP";

    public LabFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(SkipVariable) == "1")
        {
            Skip = $"{SkipVariable}=1: the lab (network namespaces, veth, nftables) needs root; unset {SkipVariable} and run as root to run it";
        }
    }
}

/// <summary>A lab theory: <see cref="LabFactAttribute"/>'s rule for tests with data.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class LabTheoryAttribute : TheoryAttribute
{
    public LabTheoryAttribute()
    {
        if (Environment.GetEnvironmentVariable(LabFactAttribute.SkipVariable) == "1")
        {
            Skip = $"{LabFactAttribute.SkipVariable}=1: the lab (network namespaces, veth, nftables) needs root; unset {LabFactAttribute.SkipVariable} and run as root to run it";
        }
    }
}
