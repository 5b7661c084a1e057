using System.CommandLine;
using System.Globalization;
using CoreSleuth.Regression;
using CoreSleuth.Report;

namespace CoreSleuth.Cli;

/// <summary>
/// <c>coresleuth check</c>: analyses a collection of cores and compares each with its expectation
/// file, one line per core in sorted order, then a summary; optionally a JUnit file for CI.
/// </summary>
internal sealed class CheckCommand
{
    /// <summary>A core failed its expectations or could not be checked.</summary>
    public const int ExitCheckFailed = 1;

    private readonly Argument<string[]> paths = new("PATH")
    {
        Description = "Cores (*.core, or compressed *.core.gz, *.core.zst, *.core.xz) or folders searched recursively for them; a file named here is taken as a core whatever its name.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<string?> junit = new("--junit") { Description = "Also write the results as JUnit XML to FILE (one testcase per core, classname = its folder).", HelpName = "FILE" };

    private readonly Option<bool> update = new("--update") { Description = "Write or refresh each core's X.expect.json from the current analysis (keeps its inputs) instead of comparing." };

    private readonly Option<int?> jobs = new("--jobs", "-j")
    {
        Description = "Analyse at most N cores at once (default: the number of processors).",
        HelpName = "N",
        CustomParser = r =>
        {
            string token = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 1024) return n;
            r.AddError($"--jobs must be a number between 1 and 1024, not '{token}'");
            return null;
        },
    };

    private readonly Option<string?> shard = new("--shard") { Description = "Check only slice K of N (1-based) of the sorted core list: the cores at positions i with i mod N = K-1. For CI matrices.", HelpName = "K/N" };

    public Command Build(string name, string description)
    {
        var command = new Command(name, description) { paths, junit, update, jobs, shard };
        command.Validators.Add(v =>
        {
            if (v.GetValue(shard) is { } s && !Shard.TryParse(s, out _, out string? error)) v.AddError(error!);
        });
        return command;
    }

    public int Run(ParseResult r, TextWriter stdout, TextWriter stderr)
    {
        string[] arguments = r.GetValue(paths) ?? [];
        bool refresh = r.GetValue(update);
        var slice = r.GetValue(shard) is { } s && Shard.TryParse(s, out var parsed, out _) ? parsed : Shard.Whole;

        var all = CoreCollection.Find(arguments);
        var cores = slice.Select(all);

        // The JUnit file is checked (and its temporary file made) before any core is analysed; it may not be a core or an expectation file.
        using var junitFile = r.GetValue(junit) is { } junitPath ? PrepareJUnit(junitPath, all, stderr) : null;
        if (r.GetValue(junit) is not null && junitFile is null) return Program.ExitUsage;

        string where = string.Join(" ", arguments);
        if (all.Count == 0)
            stdout.WriteLine($"no cores (*.core, *.core.gz, *.core.zst, *.core.xz) found in {TextSanitizer.Sanitize(where)}: nothing to check");
        else if (slice != Shard.Whole)
            stdout.WriteLine($"shard {slice}: {cores.Count} of {all.Count} cores");

        var check = new RegressionCheck { Jobs = r.GetValue(jobs) ?? Environment.ProcessorCount, Update = refresh };
        var run = check.Run(cores, result =>
        {
            stdout.WriteLine(TextSanitizer.SanitizeMessage(result.Line, maxLength: 4096));
            stdout.Flush();
        });
        if (run.Results.Count > 0 || slice != Shard.Whole) stdout.WriteLine(run.Summary(refresh));
        stdout.Flush();

        if (junitFile is not null)
        {
            try
            {
                junitFile.Commit(stream => JUnitWriter.Write(run, stream));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
            {
                return JUnitError(r.GetValue(junit)!, OutputFile.Why(ex), stderr);
            }
        }
        return run.Succeeded ? Program.ExitSuccess : ExitCheckFailed;
    }

    private static OutputFile? PrepareJUnit(string path, IReadOnlyList<CoreEntry> cores, TextWriter stderr)
    {
        var inputs = cores.SelectMany(c => new[] { ("a core", c.Path), ("an expectation file", c.ExpectationPath) });
        // CI jobs name a report folder that may not exist yet (TestResults/...).
        var file = OutputFile.Prepare(path, inputs, null, createFolder: true, out string? error);
        if (file is null) JUnitError(path, error!, stderr);
        return file;
    }

    private static int JUnitError(string path, string why, TextWriter stderr)
    {
        stderr.WriteLine($"coresleuth: {TextSanitizer.Sanitize(path)}: cannot write the JUnit file: {TextSanitizer.SanitizeMessage(why)}");
        return Program.ExitUsage;
    }
}
