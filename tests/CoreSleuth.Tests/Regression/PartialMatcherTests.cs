using System.Text.Json.Nodes;
using CoreSleuth.Regression;

namespace CoreSleuth.Tests.Regression;

/// <summary>The matching rules of docs/check.md, on hand-written JSON.</summary>
public class PartialMatcherTests
{
    private const string Report = """
        {
          "schema": "coresleuth.analyze/2",
          "process": { "pid": 4242, "command": "mysqld", "threadCount": 3 },
          "threads": [
            { "index": 1, "lwp": 100100, "wait": "kqread", "syscall": null, "frames": [ { "symbol": "kevent" }, { "symbol": "main" } ] },
            { "index": 2, "lwp": 100123, "wait": "fifoor", "syscall": { "name": "openat", "state": "in-kernel", "path": "/tmp/a.fifo" },
              "frames": [ { "symbol": "_openat", "module": "libc.so.7" }, { "symbol": "my_open" }, { "symbol": "mysql_load" }, { "symbol": "start_thread" } ] },
            { "index": 3, "lwp": 100124, "wait": "fifoow", "syscall": null, "frames": [] }
          ],
          "findings": [
            { "kind": "blocked-fifo-open", "lwp": 100123, "pthread": "0x829e76000", "path": "/tmp/a.fifo", "direction": "read", "mysql": { "threadId": 12 } },
            { "kind": "blocked-fifo-open", "lwp": 100124, "pthread": null, "path": "/tmp/b.fifo", "direction": "write", "mysql": null }
          ],
          "handles": [ { "handle": "0x829e76000", "status": "live", "lwp": 100123 } ]
        }
        """;

    private static IReadOnlyList<string> Compare(string expected, params string[] exhaustive) =>
        PartialMatcher.Compare(JsonNode.Parse(expected)!.AsObject(), JsonNode.Parse(Report)!, exhaustive).Select(m => m.ToString()).ToList();

    [Fact]
    public void FieldsNotNamedAreNotCompared() =>
        Assert.Empty(Compare("""{ "process": { "command": "mysqld" }, "findings": [ { "lwp": 100124 } ] }"""));

    [Fact]
    public void FindingsMatchAsASetInAnyOrder() =>
        Assert.Empty(Compare("""{ "findings": [ { "path": "/tmp/b.fifo", "direction": "write" }, { "path": "/tmp/a.fifo", "mysql": { "threadId": 12 } } ] }"""));

    [Fact]
    public void EachExpectedElementNeedsADistinctActualElement()
    {
        // Both expected findings match only the first actual one: the second is reported against the free one.
        Assert.Equal(["findings[1].direction: expected \"read\", got \"write\""],
            Compare("""{ "findings": [ { "direction": "read" }, { "direction": "read", "kind": "blocked-fifo-open" } ] }"""));
        // Two expected handles, one actual handle that matches both.
        Assert.Equal(["handles[1]: expected {\"status\":\"live\"}, got (absent) (the report's handles[0] matches it but already matches handles[0]; each expected element needs its own)"],
            Compare("""{ "handles": [ { "status": "live" }, { "status": "live" } ] }"""));
    }

    [Fact]
    public void AMatchingThatNeedsReassignmentIsFound()
    {
        // Greedy would give expected[0] the first finding and leave expected[1] without one.
        Assert.Empty(Compare("""{ "findings": [ { "kind": "blocked-fifo-open" }, { "pthread": "0x829e76000" } ] }"""));
    }

    [Fact]
    public void AnUnmatchedFindingIsReportedAgainstTheClosestOne()
    {
        var m = Compare("""{ "findings": [ { "lwp": 100124, "path": "/tmp/c.fifo", "direction": "write" } ] }""");
        Assert.Equal(["findings[0].path: expected \"/tmp/c.fifo\", got \"/tmp/b.fifo\" (closest: the report's findings[1])"], m);
    }

    [Fact]
    public void NullAndMissingMembersAreDistinguished()
    {
        Assert.Empty(Compare("""{ "findings": [ { "lwp": 100124, "mysql": null } ] }"""));
        Assert.Equal(["findings[0].mysql: expected null, got {\"threadId\":12}"], Compare("""{ "findings": [ { "lwp": 100123, "mysql": null } ] }"""));
        Assert.Equal(["findings[0].pth: expected \"0x1\", got (absent) (the report has no such field)"], Compare("""{ "findings": [ { "pth": "0x1" } ] }"""));
        Assert.Equal(["nosuch: expected 1, got (absent) (the report has no such field)"], Compare("""{ "nosuch": 1 }"""));
    }

    [Fact]
    public void HexValuesCompareByValue()
    {
        Assert.Empty(Compare("""{ "handles": [ { "handle": "0x829E76000" } ], "findings": [ { "pthread": 35062767616 } ] }"""));
        Assert.Equal(["handles[0].handle: expected \"0x829e76001\", got \"0x829e76000\""], Compare("""{ "handles": [ { "handle": "0x829e76001" } ] }"""));
    }

    [Fact]
    public void NumbersAndStringsAreNotConfused()
    {
        Assert.Equal(["threads[lwp=100123].syscall.name: expected 499, got \"openat\""], Compare("""{ "threads": [ { "lwp": 100123, "syscall": { "name": 499 } } ] }"""));
        Assert.Equal(["process.pid: expected \"4242\", got 4242"], Compare("""{ "process": { "pid": "4242" } }"""));
    }

    [Fact]
    public void ThreadsAreChosenByLwpAndFramesCompareAsAPrefix()
    {
        Assert.Empty(Compare("""{ "threads": [ { "lwp": 100123, "wait": "fifoor", "frames": [ { "symbol": "_openat" }, { "symbol": "my_open" } ] }, { "lwp": 100100, "syscall": null } ] }"""));
        Assert.Equal(["threads[lwp=100123].frames[1].symbol: expected \"mysql_load\", got \"my_open\""],
            Compare("""{ "threads": [ { "lwp": 100123, "frames": [ { "symbol": "_openat" }, { "symbol": "mysql_load" } ] } ] }"""));
        Assert.Equal(["threads[lwp=100100].frames[2]: expected {\"symbol\":\"_start\"}, got (absent) (the report has only 2 elements)"],
            Compare("""{ "threads": [ { "lwp": 100100, "frames": [ { "symbol": "kevent" }, { "symbol": "main" }, { "symbol": "_start" } ] } ] }"""));
    }

    [Fact]
    public void OtherArraysCompareInOrderWithTheSameLength()
    {
        // "threads" compared inside an ordinary object member is positional: here, the process has no array, so use findings' neighbours.
        var m = Compare("""{ "schema": "coresleuth.analyze/2", "process": { "threadCount": 3 }, "handles": [] }""");
        Assert.Empty(m);
        Assert.Equal(["process: expected [1], got {\"pid\":4242,\"command\":\"mysqld\",\"threadCount\":3}"], Compare("""{ "process": [1] }"""));
    }

    [Fact]
    public void ExhaustiveArraysRejectElementsNotExpected()
    {
        Assert.Equal(["findings: expected 1 element, got 2 elements (\"exhaustive\": not expected: findings[0] {\"kind\":\"blocked-fifo-open\",\"lwp\":100123,\"pthread\":\"0x829e76000\",\"path\":\"/tmp/a.fifo\"})"],
            Compare("""{ "findings": [ { "lwp": 100124 } ] }""", "findings"));
        Assert.Equal(["threads: expected 1 thread, got 3 threads (\"exhaustive\": not expected: LWP 100100, 100124)"],
            Compare("""{ "threads": [ { "lwp": 100123 } ] }""", "threads"));
        Assert.Empty(Compare("""{ "handles": [ { "lwp": 100123 } ] }""", "handles"));
    }

    [Fact]
    public void LongValuesAreCut()
    {
        string longPath = new('x', 400);
        var m = Assert.Single(Compare($$"""{ "findings": [ { "lwp": 100123, "path": "{{longPath}}" } ] }"""));
        Assert.True(m.Length < 400, m);
        Assert.Contains("…", m);
    }
}
