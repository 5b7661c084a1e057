using System.Diagnostics;
using System.Text;
using CoreSleuth.Tests.Cli;

namespace CoreSleuth.Tests.Regression;

/// <summary>
/// Every <c>console</c> block of README.md and docs/*.md is a real run: its first line is
/// <c>$ coresleuth ARGS</c>, run here from the repository root, and the lines after it are what
/// the command prints on standard output (for JSON: a <c>sh</c> block with the command, then a
/// <c>json</c> block with the output). A line that is only <c>…</c> stands for any number of
/// lines (an excerpt). Examples that cannot run here are written as <c>text</c> blocks instead.
/// </summary>
public sealed class DocumentationExampleTests
{
    /// <summary>Examples whose setup another test makes (it builds the folder they name).</summary>
    private static readonly string[] CheckedElsewhere = ["coresleuth check cores/ "];

    public sealed record Example(string File, int Line, string Command, string[] Expected)
    {
        public override string ToString() => $"{File}:{Line}";
    }

    public static TheoryData<string> WithoutCorpus => Ids(needsCorpus: false);

    public static TheoryData<string> WithCorpus => Ids(needsCorpus: true);

    [Theory]
    [MemberData(nameof(WithoutCorpus))]
    public void ExampleIsTheRealOutput(string id) => Verify(id);

    [CorpusTheory]
    [MemberData(nameof(WithCorpus))]
    public void CorpusExampleIsTheRealOutput(string id) => Verify(id);

    [Fact]
    public void TheDocumentationHasExamplesToCheck()
    {
        var all = Examples().ToList();
        Assert.True(all.Count >= 5, $"only {all.Count} console examples found in README.md and docs/");
        Assert.Contains(all, e => e.File == "README.md");
    }

    [Fact]
    public void AnEllipsisMatchesAnyRunOfLinesAndNothingElseIsLoose()
    {
        Assert.True(Matches(["a", "…", "d"], ["a", "b", "c", "d"]));
        Assert.True(Matches(["a", "…"], ["a"]));
        Assert.False(Matches(["a", "…", "d"], ["a", "b", "c"]));
        Assert.False(Matches(["a", "b"], ["a", "b", "c"]));
        Assert.False(Matches(["a", "x"], ["a", "b"]));
    }

    private static void Verify(string id)
    {
        var example = Examples().Single(e => e.ToString() == id);
        string[] args = SplitArguments(example.Command["coresleuth ".Length..]);
        var (exit, stdout, stderr) = RunCli(args);
        string[] actual = stdout.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.True(exit is 0 or 1, $"{id}: `{example.Command}` exited {exit}: {stderr}");
        Assert.True(Matches(example.Expected, actual),
            $"{id}: `{example.Command}` printed something else.\n--- documented\n{string.Join('\n', example.Expected)}\n--- printed\n{string.Join('\n', actual)}");
    }

    private static TheoryData<string> Ids(bool needsCorpus)
    {
        var data = new TheoryData<string>();
        foreach (var e in Examples())
            if (e.Command.Contains("../shared/", StringComparison.Ordinal) == needsCorpus) data.Add(e.ToString());
        return data;
    }

    private static IEnumerable<Example> Examples()
    {
        string root = SampleRoot();
        var files = new List<string> { Path.Combine(root, "README.md") };
        files.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal));
        foreach (string file in files)
        {
            string[] lines = File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            string name = Path.GetRelativePath(root, file).Replace('\\', '/');
            for (int i = 0; i < lines.Length; i++)
            {
                if (JsonExample(lines, i) is { } json)
                {
                    yield return new Example(name, i + 2, lines[i + 1][2..], json.Expected);
                    i = json.End;
                    continue;
                }
                if (lines[i].Trim() != "```console") continue;
                int start = i + 1, end = start;
                while (end < lines.Length && lines[end].Trim() != "```") end++;
                if (start < end && lines[start].StartsWith("$ coresleuth ", StringComparison.Ordinal))
                {
                    string command = lines[start][2..];
                    if (!CheckedElsewhere.Any(c => command.StartsWith(c, StringComparison.Ordinal)))
                        yield return new Example(name, start + 1, command, [.. lines[(start + 1)..end].Select(l => l.TrimEnd())]);
                }
                i = end;
            }
        }
    }

    /// <summary>
    /// The other form of an example, for JSON (so that the output is highlighted as JSON): a
    /// <c>sh</c> block holding only <c>$ coresleuth ARGS</c>, then a <c>json</c> block with the output.
    /// </summary>
    private static (string[] Expected, int End)? JsonExample(string[] lines, int i)
    {
        if (i + 2 >= lines.Length || lines[i].Trim() != "```sh" || !lines[i + 1].StartsWith("$ coresleuth ", StringComparison.Ordinal) || lines[i + 2].Trim() != "```")
            return null;
        int open = i + 3;
        while (open < lines.Length && lines[open].Trim().Length == 0) open++;
        if (open >= lines.Length || lines[open].Trim() != "```json") return null;
        int end = open + 1;
        while (end < lines.Length && lines[end].Trim() != "```") end++;
        return ([.. lines[(open + 1)..end].Select(l => l.TrimEnd())], end);
    }

    /// <summary>Whether <paramref name="actual"/> is <paramref name="expected"/>, where a line "…" matches any run of lines.</summary>
    private static bool Matches(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        // Positions in actual reachable after each prefix of expected: a small dynamic programme.
        var reach = new bool[actual.Count + 1];
        reach[0] = true;
        foreach (string e in expected)
        {
            var next = new bool[actual.Count + 1];
            for (int j = 0; j <= actual.Count; j++)
            {
                if (!reach[j]) continue;
                if (e == "…") { for (int k = j; k <= actual.Count; k++) next[k] = true; }
                else if (j < actual.Count && actual[j] == e) next[j + 1] = true;
            }
            reach = next;
        }
        return reach[actual.Count];
    }

    /// <summary>Splits a command line as a POSIX shell would for words with single or double quotes; anything else of a shell is refused.</summary>
    private static string[] SplitArguments(string line)
    {
        var args = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c is '\'' or '"')
            {
                int close = line.IndexOf(c, i + 1);
                Assert.True(close > i, $"unbalanced quote in `{line}`");
                word.Append(line, i + 1, close - i - 1);
                i = close;
                inWord = true;
            }
            else if (c == ' ')
            {
                if (inWord) args.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                Assert.False(c is '|' or '>' or '<' or '$' or '`' or ';' or '&', $"`{line}`: a checked example is one command without shell syntax");
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) args.Add(word.ToString());
        return [.. args];
    }

    /// <summary>The CLI as a process, so that relative paths and the names it prints are the repository root's.</summary>
    private static (int Exit, string Stdout, string Stderr) RunCli(string[] args)
    {
        string host = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "CoreSleuth.Cli.exe" : "CoreSleuth.Cli");
        var start = new ProcessStartInfo(host) { WorkingDirectory = SampleRoot(), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), $"coresleuth {string.Join(' ', args)} did not end within 2 minutes");
        return (process.ExitCode, stdout, stderr.Result);
    }

    private static string SampleRoot() => Samples.SampleSet.RepositoryRoot;
}
