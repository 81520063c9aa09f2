using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using Patronus.TestSupport;

namespace Patronus.Prometheus.Tests;

public sealed class MeterCollectorTests : IDisposable
{
    // A meter name unique to each test instance: the listener sees every meter in the process.
    private readonly Meter _meter = new("Test.Collector." + Guid.NewGuid().ToString("N"));
    private readonly MeterCollector _collector;

    public MeterCollectorTests()
    {
        _collector = new MeterCollector(i => ReferenceEquals(i.Meter, _meter));
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    private (IReadOnlyList<PromSample> Samples, IReadOnlyDictionary<string, string> Types, string Text) Scrape()
    {
        var buffer = new ArrayBufferWriter<byte>();
        _collector.Collect(new PrometheusTextWriter(buffer));
        var text = Encoding.UTF8.GetString(buffer.WrittenSpan);
        var (samples, types) = PrometheusText.Parse(text);
        return (samples, types, text);
    }

    [Fact]
    public void Counter_SumsPerTagSet_WhateverTheTagOrder()
    {
        var counter = _meter.CreateCounter<long>("t.sent", "{probe}", "Sent");
        counter.Add(2, new("protocol", "stamp"), new("reason", "x"));
        counter.Add(3, new("reason", "x"), new("protocol", "stamp"));
        counter.Add(1, new KeyValuePair<string, object?>("protocol", "icmp"), new("reason", "x"));

        var (samples, types, _) = Scrape();
        Assert.Equal("counter", types["t_sent_total"]);
        Assert.Equal(5, samples.Single(s => s.Label("protocol") == "stamp").Value);
        Assert.Equal(1, samples.Single(s => s.Label("protocol") == "icmp").Value);
        Assert.Empty(PrometheusText.Duplicates(samples));
    }

    [Fact]
    public void NonStringTagValues_FormattedInvariantly_SameSeriesEachTime()
    {
        var counter = _meter.CreateCounter<int>("t.n");
        counter.Add(1, new KeyValuePair<string, object?>("code", 404), new("ok", false), new("ratio", 0.5));
        counter.Add(1, new KeyValuePair<string, object?>("code", 404), new("ok", false), new("ratio", 0.5));
        var sample = Assert.Single(Scrape().Samples);
        Assert.Equal(2, sample.Value);
        Assert.Equal(("404", "false", "0.5"), (sample.Label("code"), sample.Label("ok"), sample.Label("ratio")));
    }

    [Fact]
    public void UpDownCounter_IsGauge_WithRunningSum()
    {
        var updown = _meter.CreateUpDownCounter<long>("t.open");
        updown.Add(3);
        updown.Add(-1);
        var (samples, types, _) = Scrape();
        Assert.Equal("gauge", types["t_open"]);
        Assert.Equal(2, Assert.Single(samples).Value);
    }

    [Fact]
    public void Gauge_LastValue()
    {
        var gauge = _meter.CreateGauge<double>("t.temp");
        gauge.Record(5);
        gauge.Record(7.5);
        Assert.Equal(7.5, Assert.Single(Scrape().Samples).Value);
    }

    [Fact]
    public void MillisecondHistogram_ScaledToSeconds_LeInclusiveBuckets()
    {
        var histogram = _meter.CreateHistogram<double>("t.duration", "ms", "Duration",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10, 100] });
        histogram.Record(1); // exactly on a bound: counts in le="0.001"
        histogram.Record(5);
        histogram.Record(100);
        histogram.Record(250);

        var (samples, types, text) = Scrape();
        Assert.Equal("histogram", types["t_duration_seconds"]);
        double Bucket(string le) => samples.Single(s => s.Name == "t_duration_seconds_bucket" && s.Label("le") == le).Value;
        Assert.Equal(1, Bucket("0.001"));
        Assert.Equal(2, Bucket("0.01"));
        Assert.Equal(3, Bucket("0.1"));
        Assert.Equal(4, Bucket("+Inf"));
        Assert.Equal(0.356, samples.Single(s => s.Name == "t_duration_seconds_sum").Value, 9);
        Assert.Equal(4, samples.Single(s => s.Name == "t_duration_seconds_count").Value);
        Assert.Contains("# TYPE t_duration_seconds histogram", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondsHistogram_WithoutAdvice_UsesDefaultSecondsBuckets()
    {
        _meter.CreateHistogram<double>("t.wait", "s").Record(0.003);
        var buckets = Scrape().Samples.Where(s => s.Name == "t_wait_seconds_bucket").ToList();
        Assert.Equal(MeterCollector.DefaultSecondsBuckets.Length + 1, buckets.Count);
        Assert.Equal(0, buckets.Single(b => b.Label("le") == "0.0025").Value);
        Assert.Equal(1, buckets.Single(b => b.Label("le") == "0.005").Value);
    }

    [Fact]
    public void NaN_IsNotAMeasurement()
    {
        var histogram = _meter.CreateHistogram<double>("t.h", "s");
        histogram.Record(double.NaN);
        histogram.Record(1);
        Assert.Equal(1, Scrape().Samples.Single(s => s.Name == "t_h_seconds_sum").Value);
    }

    [Fact]
    public void ObservableGauge_SeriesAreWhatTheCallbackReports_EachScrape()
    {
        var paths = new List<string> { "a", "b" };
        _meter.CreateObservableGauge("t.state", () => paths.Select(p => new Measurement<int>(3, new KeyValuePair<string, object?>("path_id", p))));
        Assert.Equal(["a", "b"], Scrape().Samples.Select(s => s.Label("path_id")).Order());

        paths.Remove("a");
        Assert.Equal(["b"], Scrape().Samples.Select(s => s.Label("path_id")));
    }

    [Fact]
    public void ObservableCounter_IsCumulative_NotAdded()
    {
        long total = 10;
        _meter.CreateObservableCounter("t.bytes", () => total, "By");
        Assert.Equal(10, Scrape().Samples.Single(s => s.Name == "t_bytes_total").Value);
        total = 15;
        Assert.Equal(15, Scrape().Samples.Single().Value);
    }

    [Fact]
    public void InstrumentsOfOtherMeters_NotExposed()
    {
        using var other = new Meter("Test.Other." + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("t.foreign").Add(1);
        _meter.CreateCounter<long>("t.mine").Add(1);
        Assert.Equal(["t_mine_total"], Scrape().Samples.Select(s => s.Name));
    }

    [Fact]
    public void DisposedMeter_LeavesTheScrape()
    {
        using var shortLived = new Meter("Test.Short." + Guid.NewGuid().ToString("N"));
        using var collector = new MeterCollector(i => ReferenceEquals(i.Meter, shortLived));
        shortLived.CreateCounter<long>("t.gone").Add(1);
        Assert.Equal(1, collector.InstrumentCount);
        shortLived.Dispose();
        Assert.Equal(0, collector.InstrumentCount);
    }

    [Fact]
    public async Task ConcurrentRecording_LosesNothing()
    {
        var counter = _meter.CreateCounter<long>("t.c");
        var histogram = _meter.CreateHistogram<double>("t.d", "s");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1, new KeyValuePair<string, object?>("k", i % 2 == 0 ? "even" : "odd"));
                histogram.Record(0.5);
            }
        })));

        var samples = Scrape().Samples;
        Assert.Equal(40_000, samples.Where(s => s.Name == "t_c_total").Sum(s => s.Value));
        Assert.Equal(40_000, samples.Single(s => s.Name == "t_d_seconds_count").Value);
        Assert.Equal(20_000, samples.Single(s => s.Name == "t_d_seconds_sum").Value);
    }
}
