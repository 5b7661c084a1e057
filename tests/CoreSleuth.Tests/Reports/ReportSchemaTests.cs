using System.Text.Json.Nodes;
using CoreSleuth.Tests.Cli;
using Corpus = CoreSleuth.Tests.Support.Corpus;
using System.Text.Json;
using Json.Schema;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// The JSON report is a contract other tools depend on: what `analyze --format json` writes must
/// validate against docs/report.schema.json (written by hand from the contract, not generated
/// from the code) on every real core and every bundled sample.
/// </summary>
public class ReportSchemaTests
{
    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "CoreSleuth.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("CoreSleuth.sln not found above the test assembly");
    }

    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "report.schema.json"))));

    public static TheoryData<string> Cores()
    {
        var data = new TheoryData<string>();
        foreach (var name in Corpus.Amd64CoreNames) data.Add(Corpus.Core(name));
        string samples = Path.Combine(RepositoryRoot(), "samples");
        if (Directory.Exists(samples))
            foreach (var core in Directory.GetFiles(samples, "*.core").Order(StringComparer.Ordinal)) data.Add(core);
        if (data.Count == 0) data.Add("(no cores)");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cores))]
    public void Analyze_json_validates_against_the_published_schema(string core)
    {
        if (!File.Exists(core)) return; // neither corpus nor samples present
        var run = Coresleuth.Run("analyze", core, "--format", "json");
        Assert.Equal(0, run.ExitCode);
        var results = Schema.Value.Evaluate(JsonDocument.Parse(run.Stdout).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(results.IsValid, string.Join("\n", errors.Take(20)));
    }

    private static bool Valid(JsonNode node) => Schema.Value.Evaluate(JsonDocument.Parse(node.ToJsonString()).RootElement).IsValid;

    [Fact]
    public void The_schema_rejects_a_report_that_breaks_the_contract()
    {
        // A renamed field, an uppercase hex value and an unknown trust label must each fail validation.
        var report = JsonNode.Parse("""
            { "schema": "coresleuth.report/1",
              "core": { "file": "x.core", "producer": "gcore", "osreldate": 1001000, "arch": "amd64" },
              "process": { "pid": 1, "ppid": null, "command": "mysqld", "arguments": null, "threadCount": 1 },
              "threads": [], "findings": [], "handles": [], "warnings": [] }
            """)!;
        Assert.True(Valid(report));

        var renamed = report.DeepClone();
        renamed["process"]!.AsObject().Remove("threadCount");
        renamed["process"]!["threads"] = 1;
        Assert.False(Valid(renamed));

        var badFrame = report.DeepClone();
        badFrame["threads"] = JsonNode.Parse("""
            [{ "index": 1, "lwp": 100100, "name": null, "pthread": "0x829E76000", "wait": null, "state": null,
               "registers": {}, "syscall": null, "frames": [{ "pc": "0x1", "module": null, "symbol": null, "offset": null, "trust": "guess" }] }]
            """);
        Assert.False(Valid(badFrame));
    }
}
