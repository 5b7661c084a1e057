using CoreSleuth.Analysis.Activity;

namespace CoreSleuth.Tests.Activity;

/// <summary>The catalogue's own invariants: every entry sourced, described and uniquely keyed.</summary>
public sealed class ThreadCatalogueEntryTests
{
    private static readonly string[] Repositories = ["mysql/mysql-server", "MariaDB/server", "percona/percona-server", "freebsd/freebsd-src"];

    [Fact]
    public void Every_entry_names_a_repository_a_file_path_and_how_it_was_verified()
    {
        foreach (var e in ThreadCatalogue.Entries)
        {
            Assert.Contains(e.Source.Repository, Repositories);
            Assert.Matches(@"^[A-Za-z0-9_./+-]+/[A-Za-z0-9_.+-]+\.(cc|c|h|ic)$", e.Source.Path);
            Assert.False(string.IsNullOrWhiteSpace(e.Source.Version), e.Function);
            Assert.False(string.IsNullOrWhiteSpace(e.Source.Verified), e.Function);
            Assert.False(string.IsNullOrWhiteSpace(e.Servers), e.Function);
        }
    }

    [Fact]
    public void Every_entry_has_a_plain_sentence()
    {
        foreach (var e in ThreadCatalogue.Entries)
        {
            Assert.True(e.Sentence.Length >= 10, e.Function);
            Assert.DoesNotContain("\n", e.Sentence);
            Assert.False(e.Sentence.EndsWith('.'), $"{e.Function}: sentences are fragments a report completes");
        }
    }

    [Fact]
    public void Function_and_kind_are_unique()
    {
        var duplicates = ThreadCatalogue.Entries.GroupBy(e => (e.Function, e.Kind)).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(duplicates);
    }

    [Fact]
    public void Functions_are_written_as_their_own_key()
    {
        foreach (var e in ThreadCatalogue.Entries)
        {
            Assert.Equal(e.Function, FunctionName.Key(e.Function));
            if (e.Caller is { } caller) Assert.Equal(caller, FunctionName.Key(caller));
        }
    }

    [Fact]
    public void Role_ids_are_short_kebab_case_and_roles_have_one()
    {
        foreach (var e in ThreadCatalogue.Entries)
        {
            if (e.Kind == CatalogueEntryKind.Role) Assert.NotNull(e.RoleId);
            if (e.RoleId is { } id) Assert.Matches("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", id);
        }
    }

    [Fact]
    public void A_role_with_a_designed_wait_says_what_it_does_there_and_others_do_not()
    {
        foreach (var e in ThreadCatalogue.Entries.Where(e => e.Kind == CatalogueEntryKind.Role))
            Assert.Equal(e.Category != ThreadCategory.Unknown, e.IdleSentence is not null);
        Assert.All(ThreadCatalogue.Entries.Where(e => e.Kind != CatalogueEntryKind.Role), e => Assert.Null(e.IdleSentence));
    }

    [Fact]
    public void The_catalogue_covers_what_a_hung_server_shows()
    {
        Assert.InRange(ThreadCatalogue.Entries.Count, 60, 130);
        var roles = ThreadCatalogue.Entries.Where(e => e.Kind == CatalogueEntryKind.Role).Select(e => e.RoleId).ToHashSet();
        string[] expected =
        [
            "connection", "listener", "signal-handler", "manager", "innodb-master", "innodb-io-handler", "innodb-purge-coordinator",
            "innodb-purge-worker", "innodb-page-cleaner", "innodb-buffer-pool-dump", "innodb-dict-stats", "innodb-monitor",
            "innodb-error-monitor", "innodb-lock-wait-timeout", "innodb-fts-optimize", "replica-io", "replica-sql", "replica-worker",
            "event-scheduler", "timer", "binlog-dump",
        ];
        Assert.All(expected, id => Assert.Contains(id, roles));
        foreach (var category in new[] { ThreadCategory.IdleByDesign, ThreadCategory.WaitingForLock, ThreadCategory.WaitingForIo, ThreadCategory.WaitingForPeer, ThreadCategory.Sleeping })
            Assert.Contains(ThreadCatalogue.Entries, e => e.Kind == CatalogueEntryKind.WaitSite && e.Category == category);
    }
}
