using System.Globalization;
using Patronus.Server.Api;

namespace Patronus.Server.Tests.Api;

/// <summary>Health answers' timestamps: the same text as the custom pattern they replaced, at the edges too.</summary>
public sealed class IsoTimeTests
{
    public static TheoryData<string> Instants =>
    [
        "2026-11-22T05:00:00.0000000+00:00",
        "2026-11-22T05:00:00.1239999+00:00", // truncated, never rounded up
        "2026-12-31T23:59:59.9999999+00:00",
        "2026-06-01T10:20:30.0010000+02:00", // an offset: shown in UTC
        "0001-01-01T00:00:00.0000000+00:00",
        "0987-03-04T05:06:07.0080000+00:00",
        "9999-12-31T23:59:59.9999999+00:00",
    ];

    [Theory]
    [MemberData(nameof(Instants))]
    public void Iso_IsTheMillisecondUtcPattern(string instant)
    {
        var t = DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture);
        Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), PathHealthEndpoints.Iso(t));
    }

    [Fact]
    public void Iso_RandomInstants_MatchThePattern()
    {
        var random = new Random(14);
        for (var i = 0; i < 10_000; i++)
        {
            var t = new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
            Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture), PathHealthEndpoints.Iso(t));
        }
    }
}
