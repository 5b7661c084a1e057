using System.Diagnostics;
using System.Text.Json.Nodes;
using CoreSleuth.Analysis;
using CoreSleuth.Elf;
using CoreSleuth.Report;

namespace CoreSleuth.Regression;

public enum CheckOutcome
{
    /// <summary>Every expected fact holds.</summary>
    Pass,
    /// <summary>At least one expected fact does not hold.</summary>
    Fail,
    /// <summary>The core, its expectation file or an input could not be used.</summary>
    Error,
    /// <summary>The core has no expectation file: analysed, nothing compared.</summary>
    NoExpectations,
    /// <summary><c>--update</c> wrote the expectation file.</summary>
    Updated,
    /// <summary><c>--update</c> found the expectation file already up to date.</summary>
    Unchanged,
}

/// <summary>What checking one core came to.</summary>
public sealed record CoreCheckResult(CoreEntry Core, CheckOutcome Outcome, IReadOnlyList<Mismatch> Mismatches, string? Error, int Findings, TimeSpan Duration)
{
    /// <summary>Mismatches shown on the one-line summary; the rest are counted (all are in the JUnit file).</summary>
    public const int MismatchesPerLine = 5;

    /// <summary>The one line <c>coresleuth check</c> prints for this core.</summary>
    public string Line => Outcome switch
    {
        CheckOutcome.Pass => $"PASS {Core.DisplayPath}",
        CheckOutcome.Fail => $"FAIL {Core.DisplayPath}: {string.Join("; ", Mismatches.Take(MismatchesPerLine))}" +
                             (Mismatches.Count > MismatchesPerLine ? $"; … and {Mismatches.Count - MismatchesPerLine} more" : ""),
        CheckOutcome.Error => $"ERROR {Core.DisplayPath}: {Error}",
        CheckOutcome.NoExpectations => $"NO-EXPECTATIONS {Core.DisplayPath} ({FindingsText})",
        CheckOutcome.Updated => $"UPDATED {Core.DisplayPath} ({FindingsText})",
        _ => $"UNCHANGED {Core.DisplayPath} ({FindingsText})",
    };

    /// <summary>Every mismatch, one per line (the JUnit failure text).</summary>
    public string Details => Outcome == CheckOutcome.Fail ? string.Join("\n", Mismatches) : Error ?? "";

    private string FindingsText => Findings == 1 ? "1 finding" : $"{Findings} findings";
}

/// <summary>The results of a whole run, in the order of the sorted core list.</summary>
public sealed record CheckRun(IReadOnlyList<CoreCheckResult> Results, TimeSpan Duration, DateTimeOffset Started)
{
    public int Count(CheckOutcome outcome) => Results.Count(r => r.Outcome == outcome);

    /// <summary>True when no core failed and none was an error (cores without expectations pass).</summary>
    public bool Succeeded => Results.All(r => r.Outcome is not (CheckOutcome.Fail or CheckOutcome.Error));

    /// <summary>The closing line, e.g. "4 cores: 2 passed, 1 failed, 0 errors, 1 without expectations".</summary>
    public string Summary(bool update)
    {
        string cores = Results.Count == 1 ? "1 core" : $"{Results.Count} cores";
        string errors = Count(CheckOutcome.Error) == 1 ? "1 error" : $"{Count(CheckOutcome.Error)} errors";
        return update
            ? $"{cores}: {Count(CheckOutcome.Updated)} updated, {Count(CheckOutcome.Unchanged)} unchanged, {errors}"
            : $"{cores}: {Count(CheckOutcome.Pass)} passed, {Count(CheckOutcome.Fail)} failed, {errors}, {Count(CheckOutcome.NoExpectations)} without expectations";
    }
}

/// <summary>
/// Analyses cores and compares each with its expectation file (<c>X.core</c> beside
/// <c>X.expect.json</c>), or with <see cref="Update"/> rewrites the expectation files. A core that
/// cannot be analysed is an error for that core only; the others are still checked.
/// </summary>
public sealed class RegressionCheck
{
    /// <summary>At most this many cores are analysed at once (default: the processor count).</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>Write or refresh expectation files instead of comparing.</summary>
    public bool Update { get; init; }

    /// <summary>
    /// Checks <paramref name="cores"/> in parallel and calls <paramref name="completed"/> for each
    /// result in list order (never concurrently), as soon as it and all before it are done, so the
    /// output is the same for any number of jobs.
    /// </summary>
    public CheckRun Run(IReadOnlyList<CoreEntry> cores, Action<CoreCheckResult>? completed = null)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var results = new CoreCheckResult?[cores.Count];
        int next = 0;
        var gate = new object();
        Parallel.For(0, cores.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Jobs) }, i =>
        {
            var result = CheckOne(cores[i]);
            lock (gate)
            {
                results[i] = result;
                while (next < results.Length && results[next] is { } done)
                {
                    completed?.Invoke(done);
                    next++;
                }
            }
        });
        return new CheckRun(results.Select(r => r!).ToList(), clock.Elapsed, started);
    }

    /// <summary>Checks (or updates) one core; never throws for a bad core, expectation or input.</summary>
    public CoreCheckResult CheckOne(CoreEntry core)
    {
        var clock = Stopwatch.StartNew();
        CoreCheckResult Result(CheckOutcome outcome, IReadOnlyList<Mismatch>? mismatches = null, string? error = null, int findings = 0) =>
            new(core, outcome, mismatches ?? [], error, findings, clock.Elapsed);
        try
        {
            if (Directory.Exists(core.Path)) return Result(CheckOutcome.Error, error: "is a directory, not a core file");
            if (!File.Exists(core.Path)) return Result(CheckOutcome.Error, error: "no such file");

            string expectationPath = core.ExpectationPath;
            Expectations? expectations = File.Exists(expectationPath) ? Expectations.Load(expectationPath) : null;
            var inputs = expectations?.Inputs ?? ExpectationInputs.Discover(core.Path);
            var options = inputs.ToOptions(Path.GetDirectoryName(Path.GetFullPath(expectationPath)) ?? ".");

            AnalysisReport report;
            using (var analysis = CoreAnalysis.Run(core.Path, options))
                report = AnalysisReport.Build(analysis, core.DisplayPath);

            if (Update)
            {
                string text = ExpectationWriter.Format(ExpectationWriter.Build(report, expectations, inputs));
                bool written = ExpectationWriter.WriteIfChanged(expectationPath, text);
                return Result(written ? CheckOutcome.Updated : CheckOutcome.Unchanged, findings: report.Findings.Count);
            }
            if (expectations is null) return Result(CheckOutcome.NoExpectations, findings: report.Findings.Count);

            JsonNode actual = ExpectationWriter.ToJson(report);
            var mismatches = PartialMatcher.Compare(expectations.Facts, actual, expectations.Exhaustive);
            return Result(mismatches.Count == 0 ? CheckOutcome.Pass : CheckOutcome.Fail, mismatches, findings: report.Findings.Count);
        }
        catch (ExpectationFormatException ex) { return Result(CheckOutcome.Error, error: ex.Message); }
        catch (CoreFormatException ex) { return Result(CheckOutcome.Error, error: ex.Message); }
        catch (UnsupportedCoreException ex)
        {
            // The reader's refusals start with "PATH is …"; the line already names the core.
            string message = ex.Message.StartsWith(core.Path + " is ", StringComparison.Ordinal) ? ex.Message[(core.Path.Length + 4)..] : ex.Message;
            return Result(CheckOutcome.Error, error: message);
        }
        catch (UnauthorizedAccessException) { return Result(CheckOutcome.Error, error: "permission denied"); }
        catch (IOException ex) { return Result(CheckOutcome.Error, error: ex.Message); }
        catch (Exception ex)
        {
            // A bug met on one core must not hide the results of the others.
            return Result(CheckOutcome.Error, error: $"internal error: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
