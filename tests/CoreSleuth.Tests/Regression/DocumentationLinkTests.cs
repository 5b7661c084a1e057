using System.Text.RegularExpressions;

namespace CoreSleuth.Tests.Regression;

/// <summary>Every relative link of README.md and docs/*.md names a file of the repository and, with <c>#anchor</c>, one of its headings.</summary>
public sealed partial class DocumentationLinkTests
{
    [Fact]
    public void EveryRelativeLinkResolves()
    {
        string root = Samples.SampleSet.RepositoryRoot;
        var pages = new List<string> { Path.Combine(root, "README.md") };
        pages.AddRange(Directory.GetFiles(Path.Combine(root, "docs"), "*.md"));
        var broken = new List<string>();
        int checkedLinks = 0;
        foreach (string page in pages)
        {
            string text = WithoutCode(File.ReadAllText(page));
            foreach (Match m in Link().Matches(text))
            {
                string target = m.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                checkedLinks++;
                string[] parts = target.Split('#', 2);
                string file = parts[0].Length == 0 ? page : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, parts[0]));
                string where = $"{Path.GetRelativePath(root, page)}: ({target})";
                if (!File.Exists(file) && !Directory.Exists(file)) { broken.Add($"{where}: no such file"); continue; }
                if (parts.Length == 2 && !Anchors(file).Contains(parts[1])) broken.Add($"{where}: no heading with anchor #{parts[1]}");
            }
        }
        Assert.True(checkedLinks > 10, $"only {checkedLinks} relative links found");
        Assert.True(broken.Count == 0, string.Join('\n', broken));
    }

    [Fact]
    public void AnchorsAreGitHubs()
    {
        // GitHub: lower case, punctuation other than '-' and '_' dropped, spaces become '-'.
        Assert.Equal("backtraces-with-and-without-the-binaries", Anchor("Backtraces with and without the binaries"));
        Assert.Equal("regression-checks-in-ci-coresleuth-check", Anchor("Regression checks in CI: `coresleuth check`"));
        Assert.Equal("expectation-files-coresleuthexpect1", Anchor("Expectation files (`coresleuth.expect/1`)"));
        Assert.Equal("see  here", WithoutCode("see `[x](y)` here"));
    }

    private static HashSet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        if (!file.EndsWith(".md", StringComparison.Ordinal)) return anchors;
        foreach (string line in Fence().Replace(File.ReadAllText(file).Replace("\r\n", "\n", StringComparison.Ordinal), "").Split('\n'))
            if (Heading().Match(line) is { Success: true } h) anchors.Add(Anchor(h.Groups[1].Value));
        return anchors;
    }

    private static string Anchor(string heading) =>
        new string([.. heading.Trim().ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')]).Replace(' ', '-');

    /// <summary>The text without fenced code blocks and code spans, whose brackets and # lines are not links or headings.</summary>
    private static string WithoutCode(string text) => CodeSpan().Replace(Fence().Replace(text.Replace("\r\n", "\n", StringComparison.Ordinal), ""), "");

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6}\s+(.*?)\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^ *```.*?^ *```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"(`+).+?\1")]
    private static partial Regex CodeSpan();
}
