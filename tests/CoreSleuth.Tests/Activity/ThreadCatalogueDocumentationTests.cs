using CoreSleuth.Analysis.Activity;

namespace CoreSleuth.Tests.Activity;

public sealed class ThreadCatalogueDocumentationTests
{
    [Fact]
    public void The_documentation_lists_every_entry_with_its_source_file()
    {
        string page = File.ReadAllText(Path.Combine(Samples.SampleSet.RepositoryRoot, "docs", "thread-catalogue.md"));
        int start = page.IndexOf("\n## Entries", StringComparison.Ordinal), end = page.IndexOf("\n## How the entries were verified", StringComparison.Ordinal);
        Assert.True(start > 0 && end > start, "the page has an Entries section followed by the verification section");
        var rows = page[start..end].Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        foreach (var e in ThreadCatalogue.Entries)
        {
            string cell = e.Caller is null ? $"| `{e.Function}` |" : $"| `{e.Function}` (called by `{e.Caller}`) |";
            var row = rows.SingleOrDefault(r => r.StartsWith(cell, StringComparison.Ordinal)
                && r.Contains($"`{e.Source.Path}`", StringComparison.Ordinal) && r.Contains(e.Source.Repository, StringComparison.Ordinal)
                && r.Contains($" {e.Category} ", StringComparison.Ordinal) == (e.Kind != CatalogueEntryKind.Role || e.Category != ThreadCategory.Unknown));
            Assert.True(row is not null, $"docs/thread-catalogue.md has no row for {e.Function} ({e.Kind}) with its category and source");
        }
        Assert.Equal(ThreadCatalogue.Entries.Count, rows.Count);
    }
}
