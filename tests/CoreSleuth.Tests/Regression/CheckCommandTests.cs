using System.Text.Json.Nodes;
using System.Xml.Linq;
using CoreSleuth.Tests.Support;

namespace CoreSleuth.Tests.Regression;

/// <summary>
/// <c>coresleuth check</c> end to end, in-process: cores written by the test-support writer and
/// corpus kernel cores in a temporary folder, expectation files written here by hand from the
/// spec's facts (wait message "fifoor", open = syscall 5, spec §7–§8).
/// </summary>
public class CheckCommandTests
{
    private static string Display(CheckFolder f, string relative) => $"{f.Root.Replace('\\', '/')}/{relative}";

    [Fact]
    public void AHandWrittenExpectationPassesAndOneChangedFactFailsNamingTheFieldAndBothValues()
    {
        using var f = new CheckFolder();
        f.WriteCore("hung.core", CheckFixtures.BlockedOpen());
        f.WriteCore("other/hung2.core", CheckFixtures.BlockedOpen("/var/db/mysql/load.fifo"));
        f.WriteText("other/hung2.expect.json", CheckFixtures.Expectation("/var/db/mysql/load.fifo"));
        string expect = f.WriteText("hung.expect.json", CheckFixtures.Expectation());
        string junit = f.PathOf("results/junit.xml");

        var pass = f.Check("--junit", junit);
        Assert.True(pass.ExitCode == 0, pass.ToString());
        Assert.Equal([$"PASS {Display(f, "hung.core")}", $"PASS {Display(f, "other/hung2.core")}", "2 cores: 2 passed, 0 failed, 0 errors, 0 without expectations"], pass.Lines);

        // One fact changed: the path of the finding.
        File.WriteAllText(expect, CheckFixtures.Expectation().Replace("\"path\": \"/tmp/ghost.fifo\", \"direction\"", "\"path\": \"/tmp/other.fifo\", \"direction\""));
        var fail = f.Check("--junit", junit);
        Assert.Equal(1, fail.ExitCode);
        Assert.Equal($"FAIL {Display(f, "hung.core")}: findings[0].path: expected \"/tmp/other.fifo\", got \"/tmp/ghost.fifo\"", fail.Lines[0]);
        Assert.Equal($"PASS {Display(f, "other/hung2.core")}", fail.Lines[1]);
        Assert.Equal("2 cores: 1 passed, 1 failed, 0 errors, 0 without expectations", fail.Lines[^1]);

        var xml = XDocument.Load(junit);
        var suite = Assert.Single(xml.Root!.Elements("testsuite"));
        Assert.Equal("testsuites", xml.Root.Name.LocalName);
        Assert.Equal(("2", "1", "0", "0"), ((string)suite.Attribute("tests")!, (string)suite.Attribute("failures")!, (string)suite.Attribute("errors")!, (string)suite.Attribute("skipped")!));
        var cases = suite.Elements("testcase").ToList();
        Assert.Equal(["hung.core", "hung2.core"], cases.Select(c => (string)c.Attribute("name")!));
        Assert.Equal([f.Root.Replace('\\', '/'), Display(f, "other")], cases.Select(c => (string)c.Attribute("classname")!));
        var failure = Assert.Single(cases[0].Elements("failure"));
        Assert.Contains("findings[0].path: expected \"/tmp/other.fifo\", got \"/tmp/ghost.fifo\"", (string)failure.Attribute("message")!);
        Assert.Contains("findings[0].path", failure.Value);
        Assert.Empty(cases[1].Elements());

        // Restored: passes again, and the JUnit file says so.
        File.WriteAllText(expect, CheckFixtures.Expectation());
        var again = f.Check("--junit", junit);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("0", (string)XDocument.Load(junit).Root!.Element("testsuite")!.Attribute("failures")!);
    }

    [Fact]
    public void AThreadIsChosenByLwpAndItsWaitMessageIsCompared()
    {
        using var f = new CheckFolder();
        f.WriteCore("hung.core", CheckFixtures.BlockedOpen());
        f.WriteText("hung.expect.json", CheckFixtures.Expectation(wait: "fifoow"));
        var r = f.Check();
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"FAIL {Display(f, "hung.core")}: threads[lwp={CheckFixtures.LoaderLwp}].wait: expected \"fifoow\", got \"fifoor\"", r.Lines[0]);
    }

    [Fact]
    public void AnExpectedThreadThatIsNotInTheCoreFailsListingTheLwps()
    {
        using var f = new CheckFolder();
        f.WriteCore("hung.core", CheckFixtures.BlockedOpen());
        f.WriteText("hung.expect.json", """{ "schema": "coresleuth.expect/1", "threads": [ { "lwp": 100999, "wait": "fifoor" } ] }""");
        var r = f.Check();
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"FAIL {Display(f, "hung.core")}: threads[lwp=100999]: expected {{\"lwp\":100999,\"wait\":\"fifoor\"}}, got (absent)", r.Lines[0]);
        Assert.Contains($"its LWPs are {CheckFixtures.MainLwp}, {CheckFixtures.LoaderLwp}", r.Lines[0]);
    }

    [Fact]
    public void AnExpectedFindingOnACoreWithoutFindingsFails()
    {
        using var f = new CheckFolder();
        // The same process but the FIFO reader now sleeps on a pipe: no finding (spec §8.1 needs fifoor/fifoow).
        var spec = CheckFixtures.BlockedOpen();
        spec = spec with { Threads = [spec.Threads[0], spec.Threads[1] with { Kinfo = spec.Threads[1].Kinfo with { WaitMessage = "piperd" } }] };
        f.WriteCore("hung.core", spec);
        f.WriteText("hung.expect.json", CheckFixtures.Expectation());
        var r = f.Check();
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"FAIL {Display(f, "hung.core")}: findings[0]: expected {{\"kind\":\"blocked-fifo-open\"", r.Lines[0]);
        Assert.Contains("got (absent) (the report has no findings)", r.Lines[0]);
        Assert.Contains($"threads[lwp={CheckFixtures.LoaderLwp}].wait: expected \"fifoor\", got \"piperd\"", r.Lines[0]);
    }

    [Fact]
    public void AnUnreadableCoreIsAnErrorForThatCoreOnlyAndTheOthersAreStillChecked()
    {
        using var f = new CheckFolder();
        f.WriteCore("a.core", CheckFixtures.BlockedOpen());
        f.WriteText("a.expect.json", CheckFixtures.Expectation());
        f.WriteBytes("b-not-elf.core", "this is not a core\n"u8.ToArray());
        var whole = CoreWriterBytes(CheckFixtures.BlockedOpen());
        f.WriteBytes("c-cut.core", whole[..40]); // ends inside the 64-byte ELF header
        f.WriteCore("d.core", CheckFixtures.BlockedOpen());
        string junit = f.PathOf("junit.xml");

        var r = f.Check("--junit", junit);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(5, r.Lines.Length);
        Assert.Equal($"PASS {Display(f, "a.core")}", r.Lines[0]);
        Assert.StartsWith($"ERROR {Display(f, "b-not-elf.core")}: not an ELF file", r.Lines[1]);
        Assert.StartsWith($"ERROR {Display(f, "c-cut.core")}: ", r.Lines[2]);
        Assert.Contains("ELF64 header", r.Lines[2]);
        Assert.Equal($"NO-EXPECTATIONS {Display(f, "d.core")} (1 finding)", r.Lines[3]);
        Assert.Equal("4 cores: 1 passed, 0 failed, 2 errors, 1 without expectations", r.Lines[4]);

        var suite = XDocument.Load(junit).Root!.Element("testsuite")!;
        Assert.Equal(("4", "0", "2", "1"), ((string)suite.Attribute("tests")!, (string)suite.Attribute("failures")!, (string)suite.Attribute("errors")!, (string)suite.Attribute("skipped")!));
        Assert.Equal(["b-not-elf.core", "c-cut.core"], suite.Elements("testcase").Where(c => c.Element("error") is not null).Select(c => (string)c.Attribute("name")!));
        Assert.Equal(["d.core"], suite.Elements("testcase").Where(c => c.Element("skipped") is not null).Select(c => (string)c.Attribute("name")!));
    }

    private static byte[] CoreWriterBytes(CoreSleuth.Testing.Cores.CoreSpec spec) => CoreSleuth.Testing.Cores.CoreWriter.WriteToArray(spec);

    [Fact]
    public void CoresWithoutExpectationsDoNotFail()
    {
        using var f = new CheckFolder();
        f.WriteCore("x.core", CheckFixtures.BlockedOpen());
        var r = f.Check();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([$"NO-EXPECTATIONS {Display(f, "x.core")} (1 finding)", "1 core: 0 passed, 0 failed, 0 errors, 1 without expectations"], r.Lines);
    }

    [Fact]
    public void AFolderWithoutCoresHasNothingToCheckAndSucceeds()
    {
        using var f = new CheckFolder();
        f.WriteText("notes.txt", "no cores here");
        var r = f.Check();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([$"no cores (*.core, *.core.gz, *.core.zst, *.core.xz) found in {f.Root}: nothing to check"], r.Lines);
    }

    [Fact]
    public void AMalformedExpectationOrAMissingInputIsAnErrorForThatCore()
    {
        using var f = new CheckFolder();
        f.WriteCore("a.core", CheckFixtures.BlockedOpen());
        f.WriteText("a.expect.json", """{ "schema": "coresleuth.expect/9", "findings": [] }""");
        f.WriteCore("b.core", CheckFixtures.BlockedOpen());
        f.WriteText("b.expect.json", CheckFixtures.Expectation(extra: "\"inputs\": { \"innodbStatus\": \"b.innodb.txt\" },"));
        f.WriteCore("c.core", CheckFixtures.BlockedOpen());
        f.WriteText("c.expect.json", "{ \"schema\": \"coresleuth.expect/1\", ");
        var r = f.Check();
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"ERROR {Display(f, "a.core")}: {f.PathOf("a.expect.json")}: \"schema\" must be \"coresleuth.expect/1\", not \"coresleuth.expect/9\"", r.Lines[0]);
        Assert.StartsWith($"ERROR {Display(f, "b.core")}: inputs.innodbStatus b.innodb.txt: no such file", r.Lines[1]);
        Assert.StartsWith($"ERROR {Display(f, "c.core")}: {f.PathOf("c.expect.json")}: not valid JSON", r.Lines[2]);
    }

    [Fact]
    public void InputsAreReadRelativeToTheExpectationFile()
    {
        using var f = new CheckFolder();
        f.WriteCore("cores/hung.core", CheckFixtures.BlockedOpen());
        // SHOW ENGINE INNODB STATUS quoting a handle that is no thread's pthread_t: resolved "invalid".
        f.WriteText("status/innodb.txt", "---TRANSACTION 1234567, ACTIVE 42 sec inserting\nMySQL thread id 12, OS thread handle 0x829e76000, query id 4711 localhost root executing\nLOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t1\n");
        f.WriteText("cores/hung.expect.json", """
            {
              "schema": "coresleuth.expect/1",
              "inputs": { "innodbStatus": "../status/innodb.txt", "handles": ["0x1234"] },
              "handles": [
                { "handle": "0x829E76000", "source": "innodb-status", "mysqlThreadId": 12 },
                { "handle": 4660, "source": "argument" }
              ],
              "exhaustive": ["handles"]
            }
            """);
        var r = f.Check();
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal($"PASS {Display(f, "cores/hung.core")}", r.Lines[0]);
    }

    [Fact]
    public void UpdateWritesExpectationsThatThenPassAndKeepsTheInputs()
    {
        using var f = new CheckFolder();
        f.WriteCore("hung.core", CheckFixtures.BlockedOpen());
        f.WriteCore("sub/quiet.core", CheckFixtures.BlockedOpen() with { Threads = [CheckFixtures.BlockedOpen().Threads[0]] });
        f.WriteText("status.txt", "MySQL thread id 7, OS thread handle 0x829e76000, query id 1 localhost root\n");
        f.WriteText("sub/quiet.expect.json", """{ "schema": "coresleuth.expect/1", "description": "only the main thread", "inputs": { "innodbStatus": "../status.txt" } }""");

        var update = f.Check("--update");
        Assert.True(update.ExitCode == 0, update.ToString());
        Assert.Equal([$"UPDATED {Display(f, "hung.core")} (1 finding)", $"UPDATED {Display(f, "sub/quiet.core")} (0 findings)", "2 cores: 2 updated, 0 unchanged, 0 errors"], update.Lines);

        // The written facts are the ones the spec gives for this process.
        var hung = JsonNode.Parse(File.ReadAllText(f.PathOf("hung.expect.json")))!.AsObject();
        Assert.Equal("coresleuth.expect/1", (string?)hung["schema"]);
        var finding = Assert.Single(hung["findings"]!.AsArray())!;
        Assert.Equal((CheckFixtures.LoaderLwp, "/tmp/ghost.fifo", "read", "certain"),
            ((int)finding["lwp"]!, (string?)finding["path"], (string?)finding["direction"], (string?)finding["confidence"]));
        var loader = hung["threads"]!.AsArray().Single(t => (int)t!["lwp"]! == CheckFixtures.LoaderLwp)!;
        Assert.Equal(("fifoor", "open", "in-kernel", "/tmp/ghost.fifo"),
            ((string?)loader["wait"], (string?)loader["syscall"]!["name"], (string?)loader["syscall"]!["state"], (string?)loader["syscall"]!["path"]));
        Assert.InRange(loader["frames"]!.AsArray().Count, 1, 3);
        Assert.Equal(new[] { "findings", "handles" }, hung["exhaustive"]!.AsArray().Select(n => (string?)n));

        var quiet = JsonNode.Parse(File.ReadAllText(f.PathOf("sub/quiet.expect.json")))!.AsObject();
        Assert.Equal("only the main thread", (string?)quiet["description"]);
        Assert.Equal("../status.txt", (string?)quiet["inputs"]!["innodbStatus"]);
        var handle = Assert.Single(quiet["handles"]!.AsArray())!;
        Assert.Equal(("0x829e76000", "innodb-status", 7L), ((string?)handle["handle"], (string?)handle["source"], (long)handle["mysqlThreadId"]!));
        Assert.Empty(quiet["findings"]!.AsArray());

        var check = f.Check();
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal([$"PASS {Display(f, "hung.core")}", $"PASS {Display(f, "sub/quiet.core")}", "2 cores: 2 passed, 0 failed, 0 errors, 0 without expectations"], check.Lines);

        string before = File.ReadAllText(f.PathOf("hung.expect.json"));
        var again = f.Check("--update");
        Assert.Equal($"UNCHANGED {Display(f, "hung.core")} (1 finding)", again.Lines[0]);
        Assert.Equal(before, File.ReadAllText(f.PathOf("hung.expect.json")));
        Assert.EndsWith("}\n", before);
        Assert.Contains("\n  \"findings\": [\n", before); // indented two spaces, LF line ends
    }

    [Fact]
    public void UpdateOfANewCoreTakesTheInnodbStatusAndSysrootBesideIt()
    {
        using var f = new CheckFolder();
        f.WriteCore("mysqld.core", CheckFixtures.BlockedOpen());
        f.WriteText("mysqld.innodb.txt", "MySQL thread id 12, OS thread handle 0x829e76000, query id 4711 localhost root executing\n");
        Directory.CreateDirectory(f.PathOf("sysroot-mysqld/lib"));
        var update = f.Check("--update");
        Assert.True(update.ExitCode == 0, update.ToString());
        var doc = JsonNode.Parse(File.ReadAllText(f.PathOf("mysqld.expect.json")))!.AsObject();
        Assert.Equal("mysqld.innodb.txt", (string?)doc["inputs"]!["innodbStatus"]);
        Assert.Equal("sysroot-mysqld", (string?)doc["inputs"]!["sysroot"]);
        Assert.Null(doc["inputs"]!["processlist"]);
        var handle = Assert.Single(doc["handles"]!.AsArray())!;
        Assert.Equal(("0x829e76000", "innodb-status", 12L), ((string?)handle["handle"], (string?)handle["source"], (long)handle["mysqlThreadId"]!));
        Assert.Equal(0, f.Check().ExitCode);
    }

    [Fact]
    public void ExhaustiveFindingsCatchANewFinding()
    {
        using var f = new CheckFolder();
        f.WriteCore("x.core", CheckFixtures.BlockedOpen());
        f.WriteText("x.expect.json", """{ "schema": "coresleuth.expect/1", "exhaustive": ["findings"], "findings": [] }""");
        var r = f.Check();
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"FAIL {Display(f, "x.core")}: findings: expected 0 elements, got 1 element (\"exhaustive\": not expected: findings[0] {{\"kind\":\"blocked-fifo-open\",\"lwp\":{CheckFixtures.LoaderLwp}", r.Lines[0]);

        f.WriteText("x.expect.json", """{ "schema": "coresleuth.expect/1", "findings": [] }""");
        Assert.Equal(0, f.Check().ExitCode); // without "exhaustive", findings not named are not compared
    }

    [CorpusFact]
    public void CorpusKernelCoresRoundTripThroughUpdateAndAChangedWaitFails()
    {
        using var f = new CheckFolder();
        f.CopyCorpusCore("lldb-x86-64-freebsd14-multithread.core", "kernel/multithread.core");
        f.CopyCorpusCore("lldb-x86-64-freebsd13.core", "kernel/fbsd13.core");
        Assert.Equal(0, f.Check("--update").ExitCode);
        var check = f.Check();
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Equal([$"PASS {Display(f, "kernel/fbsd13.core")}", $"PASS {Display(f, "kernel/multithread.core")}"], check.Lines[..2]);

        // The corpus README: LWP 100745 of the multithreaded core; a kernel core keeps no wait message (spec §7.3).
        string path = f.PathOf("kernel/multithread.expect.json");
        var doc = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var thread = doc["threads"]!.AsArray().Single(t => (int)t!["lwp"]! == 100745)!;
        Assert.Null((string?)thread["wait"]);
        thread["wait"] = "fifoor";
        File.WriteAllText(path, doc.ToJsonString());
        var fail = f.Check();
        Assert.Equal(1, fail.ExitCode);
        Assert.Equal($"FAIL {Display(f, "kernel/multithread.core")}: threads[lwp=100745].wait: expected \"fifoor\", got null", fail.Lines[1]);
    }

    [Fact]
    public void ShardSlicesPartitionTheSortedList()
    {
        using var f = new CheckFolder();
        for (int i = 0; i < 7; i++) f.WriteCore($"{(i % 2 == 0 ? "even" : "odd")}/core{i}.core", CheckFixtures.BlockedOpen());
        f.WriteBytes("odd/broken.core", [0x7f, (byte)'E']);
        var all = CorePaths(f.Check("--jobs", "2"));
        Assert.Equal(8, all.Count);
        Assert.Equal(all.OrderBy(p => p, StringComparer.Ordinal), all);

        for (int n = 1; n <= 5; n++)
        {
            var slices = Enumerable.Range(1, n).Select(k => CorePaths(f.Check("--shard", $"{k}/{n}"))).ToList();
            Assert.Equal(all, slices.SelectMany(s => s).OrderBy(p => p, StringComparer.Ordinal));   // union = all, no duplicates
            Assert.Equal(all.Count, slices.Sum(s => s.Count));                                      // disjoint
            Assert.True(slices.Max(s => s.Count) - slices.Min(s => s.Count) <= 1, $"unbalanced slices for N={n}");
            for (int k = 1; k <= n; k++)
                Assert.Equal(all.Where((_, i) => i % n == k - 1), slices[k - 1]);                   // the documented rule
        }
    }

    private static List<string> CorePaths(Tests.Cli.CliResult r) =>
        r.Lines.Where(l => l.Split(' ')[0] is "PASS" or "FAIL" or "ERROR" or "NO-EXPECTATIONS")
            .Select(l => l.Split(' ')[1].TrimEnd(':')).ToList();

    [Fact]
    public void OneJobAndFourJobsPrintTheSameLines()
    {
        using var f = new CheckFolder();
        for (int i = 0; i < 6; i++)
        {
            f.WriteCore($"c{i}.core", CheckFixtures.BlockedOpen($"/tmp/fifo{i}", CheckFixtures.LoaderLwp + i));
            f.WriteText($"c{i}.expect.json", CheckFixtures.Expectation(i == 3 ? "/tmp/wrong" : $"/tmp/fifo{i}", lwp: CheckFixtures.LoaderLwp + i));
        }
        f.WriteBytes("c9.core", "junk"u8.ToArray());
        var one = f.Check("--jobs", "1");
        var four = f.Check("--jobs", "4");
        Assert.Equal(1, one.ExitCode);
        Assert.Equal(one.ExitCode, four.ExitCode);
        Assert.Equal(one.Stdout, four.Stdout);
        Assert.Equal(8, one.Lines.Length);
        Assert.StartsWith($"FAIL {Display(f, "c3.core")}: findings[0].path: expected \"/tmp/wrong\", got \"/tmp/fifo3\"", one.Lines[3]);
    }

    [Theory]
    [InlineData("--shard", "0/3")]
    [InlineData("--shard", "4/3")]
    [InlineData("--shard", "2")]
    [InlineData("--jobs", "0")]
    public void BadOptionsAreUsageErrors(string option, string value)
    {
        using var f = new CheckFolder();
        var r = f.Check(option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(option, r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void HelpShowsExamples()
    {
        var r = Tests.Cli.Coresleuth.Run("check", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Examples:", r.Stdout);
        Assert.Contains("coresleuth check samples/ --junit", r.Stdout);
        Assert.Contains("--shard", r.Stdout);
    }
}
