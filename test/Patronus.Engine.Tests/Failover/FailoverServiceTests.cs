namespace Patronus.Engine.Tests.Failover;

/// <summary>The failover service on a fake clock, over a real store: see <see cref="FailoverServiceHarness"/>.</summary>
public sealed partial class FailoverServiceTests
{
}
