using System.Xml.Linq;
using CoreSleuth.Regression;

namespace CoreSleuth.Tests.Regression;

/// <summary>The JUnit file read back with System.Xml.Linq, an independent XML parser.</summary>
public class JUnitWriterTests
{
    private static CoreCheckResult Result(string path, CheckOutcome outcome, string? error = null, params Mismatch[] mismatches)
    {
        int slash = path.LastIndexOf('/');
        return new CoreCheckResult(new CoreEntry(path, path, slash < 0 ? "." : path[..slash]), outcome, mismatches, error, 1, TimeSpan.FromMilliseconds(1234.5));
    }

    [Fact]
    public void MarkupControlCharactersAndLineBreaksSurviveTheRoundTrip()
    {
        // A path from a core may hold anything: markup, quotes, an escape character, a lone surrogate.
        string nasty = "a<b>&\"c'\u001b[31m\ud800z";
        var run = new CheckRun(
        [
            Result("samples/x.core", CheckOutcome.Fail, null,
                new Mismatch("findings[0].path", "\"/tmp/ghost.fifo\"", "\"" + nasty + "\""), new Mismatch("threads[lwp=1].wait", "\"fifoor\"", "null")),
            Result("samples/deep/y&z.core", CheckOutcome.Error, "cannot read:\nline two"),
            Result("w.core", CheckOutcome.NoExpectations),
            Result("samples/ok.core", CheckOutcome.Pass),
        ], TimeSpan.FromSeconds(2.5), new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));

        var doc = XDocument.Parse(JUnitWriter.Build(run));
        var suites = doc.Root!;
        Assert.Equal("testsuites", suites.Name.LocalName);
        var suite = Assert.Single(suites.Elements("testsuite"));
        foreach (var e in new[] { suites, suite })
            Assert.Equal(("4", "1", "1", "1", "2.500"),
                ((string)e.Attribute("tests")!, (string)e.Attribute("failures")!, (string)e.Attribute("errors")!, (string)e.Attribute("skipped")!, (string)e.Attribute("time")!));
        Assert.Equal("2026-11-29T10:00:00", (string)suite.Attribute("timestamp")!);

        var cases = suite.Elements("testcase").ToList();
        Assert.Equal(["samples", "samples/deep", ".", "samples"], cases.Select(c => (string)c.Attribute("classname")!));
        Assert.Equal(["x.core", "y&z.core", "w.core", "ok.core"], cases.Select(c => (string)c.Attribute("name")!));
        Assert.Equal("1.235", (string)cases[0].Attribute("time")!);

        var failure = cases[0].Element("failure")!;
        Assert.Equal("expectation", (string)failure.Attribute("type")!);
        Assert.Equal("FAIL samples/x.core: findings[0].path: expected \"/tmp/ghost.fifo\", got \"a<b>&\"c'\\u001b[31m\\ud800z\"; threads[lwp=1].wait: expected \"fifoor\", got null",
            (string)failure.Attribute("message")!);
        Assert.Equal(["findings[0].path: expected \"/tmp/ghost.fifo\", got \"a<b>&\"c'\\u001b[31m\\ud800z\"", "threads[lwp=1].wait: expected \"fifoor\", got null"], failure.Value.Split('\n'));

        var error = cases[1].Element("error")!;
        Assert.Equal("cannot read:\nline two", error.Value);
        Assert.Equal("ERROR samples/deep/y&z.core: cannot read:\nline two", (string)error.Attribute("message")!);
        Assert.NotNull(cases[2].Element("skipped"));
        Assert.Empty(cases[3].Elements());
    }
}
