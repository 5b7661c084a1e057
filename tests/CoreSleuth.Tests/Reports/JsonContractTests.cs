using System.Text.Json;
using System.Text.Json.Nodes;
using CoreSleuth.Tests.Cli;
using Json.Schema;
using Corpus = CoreSleuth.Tests.Support.Corpus;

namespace CoreSleuth.Tests.Reports;

/// <summary>
/// The JSON of every command is a contract (docs/json.md): it must validate against its schema in
/// docs/schemas/ (written by hand from the contract, not generated from the code) on every real
/// core and every bundled sample, and a fact must have one name and one value in every command.
/// </summary>
public class JsonContractTests
{
    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "CoreSleuth.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("CoreSleuth.sln not found above the test assembly");
    }

    private static string Samples => Path.Combine(RepositoryRoot(), "samples");

    public static readonly string[] CommandNames = ["analyze", "info", "threads", "bt", "regs", "mem", "handle", "files"];

    /// <summary>Every schema, built in one registry so that their $refs to common.schema.json resolve.</summary>
    private static readonly Lazy<IReadOnlyDictionary<string, JsonSchema>> Schemas = new(() =>
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        string folder = Path.Combine(RepositoryRoot(), "docs", "schemas");
        JsonSchema.FromText(File.ReadAllText(Path.Combine(folder, "common.schema.json")), options);
        return CommandNames.ToDictionary(c => c, c => JsonSchema.FromText(File.ReadAllText(Path.Combine(folder, $"{c}.schema.json")), options));
    });

    public static TheoryData<string, string> CommandsAndCores()
    {
        var cores = new List<string>();
        foreach (var name in Corpus.Amd64CoreNames) cores.Add(Corpus.Core(name));
        if (Directory.Exists(Samples)) cores.AddRange(Directory.GetFiles(Samples, "*.core").Order(StringComparer.Ordinal));
        var data = new TheoryData<string, string>();
        foreach (var core in cores)
            foreach (var command in CommandNames) data.Add(command, core);
        if (data.Count == 0) data.Add("analyze", "(no cores)");
        return data;
    }

    /// <summary>The command's arguments on <paramref name="core"/>, with the sample's InnoDB status and sysroot when it has them, so that every part of the schema is exercised.</summary>
    private static string[] Arguments(string command, string core)
    {
        var args = new List<string> { command, core };
        args.AddRange(command switch
        {
            "regs" => ["--all"],
            "mem" => ["0x7fffffffe000", "-n", "4"], // the top of the main stack: in some cores, not in others (exit code 1)
            "handle" => ["0x829e76000", "12345"],
            _ => [],
        });
        string stem = Path.ChangeExtension(core, null);
        if (command is "analyze" or "threads" or "bt" or "handle" or "files")
        {
            if (command != "files" && File.Exists(stem + ".innodb.txt")) args.AddRange(["--innodb-status", stem + ".innodb.txt"]);
            string sysroot = Path.Combine(Path.GetDirectoryName(core)!, "sysroot-" + Path.GetFileName(stem));
            if (command != "threads" && Directory.Exists(sysroot)) args.AddRange(["--sysroot", sysroot]);
        }
        return [.. args, "--format", "json"];
    }

    private static JsonElement Run(params string[] args)
    {
        var run = Coresleuth.Run(args);
        Assert.True(run.ExitCode == 0 || (args[0] == "mem" && run.ExitCode == 1), run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    private static IEnumerable<string> Errors(string command, JsonElement json)
    {
        var results = Schemas.Value[command].Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return results.IsValid ? [] : (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).DefaultIfEmpty("invalid");
    }

    [Theory]
    [MemberData(nameof(CommandsAndCores))]
    public void Every_command_validates_against_its_published_schema(string command, string core)
    {
        if (!File.Exists(core)) return; // neither corpus nor samples present
        var json = Run(Arguments(command, core));
        Assert.Equal(command switch { "analyze" => "coresleuth.analyze/2", _ => $"coresleuth.{command}/1" }, json.GetProperty("schema").GetString());
        Assert.Empty(Errors(command, json).Take(20));
    }

    /// <summary>The real Linux core (docs/linux.md): every command's JSON keeps the same contract, and says the system.</summary>
    [Linux.RealLinuxCoreTheory]
    [InlineData("analyze")]
    [InlineData("info")]
    [InlineData("threads")]
    [InlineData("bt")]
    [InlineData("regs")]
    [InlineData("mem")]
    [InlineData("handle")]
    [InlineData("files")]
    public void Every_command_on_the_real_Linux_core_validates_against_its_published_schema(string command)
    {
        var args = new List<string> { command, Linux.RealLinuxCore.File(Linux.RealLinuxCore.CoreName) };
        args.AddRange(command switch
        {
            "regs" => ["--all"],
            "mem" => [Linux.RealLinuxCore.Facts["blocked_fs_base"], "-n", "4"],
            "handle" => [Linux.RealLinuxCore.Facts["blocked_innodb_os_thread_handle"]],
            _ => [],
        });
        if (command is "analyze" or "threads" or "bt" or "handle") args.AddRange(["--innodb-status", Linux.RealLinuxCore.File("mariadbd.innodb.txt")]);
        if (command is "analyze" or "threads" or "bt") args.AddRange(["--wchan", Linux.RealLinuxCore.File("mariadbd.wchan.txt")]);
        var json = Run([.. args, "--format", "json"]);
        Assert.Empty(Errors(command, json).Take(20));
        Assert.Equal("linux", json.GetProperty("core").GetProperty("os").GetString());
    }

    private static bool Valid(string command, JsonNode node) => !Errors(command, JsonDocument.Parse(node.ToJsonString()).RootElement).Any();

    [Fact]
    public void The_schemas_reject_output_that_breaks_the_contract()
    {
        string core = Path.Combine(Samples, "mysqld-ghost-fifo.core");
        var threads = JsonNode.Parse(Run(Arguments("threads", core)).GetRawText())!;
        Assert.True(Valid("threads", threads));

        // The names of the unversioned output before coresleuth.threads/1.
        var renamed = threads.DeepClone();
        var thread = renamed["threads"]![0]!.AsObject();
        thread["pthreadT"] = thread["pthread"]!.DeepClone();
        thread.Remove("pthread");
        Assert.False(Valid("threads", renamed));

        var upper = threads.DeepClone();
        upper["threads"]![0]!["registers"]!["rip"] = "0x80120FBCA";
        Assert.False(Valid("threads", upper));

        var numeric = threads.DeepClone();
        numeric["threads"]![0]!["pthread"] = 0x829e76000;
        Assert.False(Valid("threads", numeric));

        var regs = JsonNode.Parse(Run(Arguments("regs", core)).GetRawText())!;
        Assert.True(Valid("regs", regs));
        regs["threads"]![0]!["registers"] = new JsonArray(new JsonObject { ["name"] = "rip", ["value"] = "0x1" });
        Assert.False(Valid("regs", regs));

        var analyze = JsonNode.Parse(Run(Arguments("analyze", core)).GetRawText())!;
        Assert.True(Valid("analyze", analyze));
        var badTrust = analyze.DeepClone();
        badTrust["threads"]![0]!["frames"]![0]!["trust"] = "guess";
        Assert.False(Valid("analyze", badTrust));
        var decimalOffset = analyze.DeepClone();
        decimalOffset["threads"]!.AsArray().SelectMany(t => t!["frames"]!.AsArray()).First(f => f!["offset"] is not null)!["offset"] = 10;
        Assert.False(Valid("analyze", decimalOffset));
    }

    /// <summary>
    /// The vocabulary of docs/json.md, written here and not taken from the code: LWP 100460 of the
    /// ghost FIFO sample as samples/README.md describes it (thread 22, pthread_t 0x829e76000, wait
    /// message fifoor, rdi = 0x7ffffd1a3c80, frame #0 at 0x80120fbca), named the same in every command.
    /// </summary>
    [Fact]
    public void Every_command_names_the_same_fact_the_same_way_with_the_same_value()
    {
        string core = Path.Combine(Samples, "mysqld-ghost-fifo.core");
        const int Lwp = 100460;
        var outputs = CommandNames.ToDictionary(c => c, c => Run(Arguments(c, core)));
        JsonElement Thread(string command) =>
            Assert.Single(outputs[command].GetProperty("threads").EnumerateArray(), t => t.GetProperty("lwp").GetInt32() == Lwp);

        foreach (var command in new[] { "analyze", "threads", "bt", "regs" })
        {
            var t = Thread(command);
            Assert.Equal(22, t.GetProperty("index").GetInt32());
            Assert.Equal("mysqld", t.GetProperty("name").GetString());
            if (command != "regs") Assert.Equal("0x829e76000", t.GetProperty("pthread").GetString());
            if (command is "analyze" or "threads") Assert.Equal("fifoor", t.GetProperty("wait").GetString());
            if (command != "bt") Assert.Equal("0x80120fbca", t.GetProperty("registers").GetProperty("rip").GetString());
            if (command is "analyze" or "regs") Assert.Equal("0x7ffffd1a3c80", t.GetProperty("registers").GetProperty("rdi").GetString());
            if (command is "analyze" or "bt") Assert.Equal("0x80120fbca", t.GetProperty("frames")[0].GetProperty("pc").GetString());
            if (command is "analyze" or "threads")
                Assert.Equal(("LOAD DATA INFILE '/tmp/ghost.fifo' INTO TABLE t", 1L),
                    (t.GetProperty("mysql").GetProperty("query").GetString(), t.GetProperty("mysql").GetProperty("threadId").GetInt64()));
            // The names of the unversioned output, gone: one name per fact.
            foreach (string old in new[] { "pthreadT", "waitMessage", "rip", "rsp", "mySqlThreadId" })
                Assert.False(t.TryGetProperty(old, out _), $"{command}: \"{old}\"");
        }
        Assert.False(Thread("regs").GetProperty("registers").TryGetProperty("eflags", out _));
        Assert.Equal(Thread("analyze").GetProperty("registers").GetProperty("rflags").GetString(),
            Thread("regs").GetProperty("registers").GetProperty("rflags").GetString());

        var handle = Assert.Single(outputs["handle"].GetProperty("handles").EnumerateArray(), h => h.GetProperty("source").GetString() == "argument" && h.GetProperty("handle").GetString() == "0x829e76000");
        Assert.Equal((Lwp, 22, "mysqld"), (handle.GetProperty("lwp").GetInt32(), handle.GetProperty("threadIndex").GetInt32(), handle.GetProperty("threadName").GetString()));

        // The core and the process: the same objects, with the same values, in every command.
        Assert.All(CommandNames, c =>
        {
            Assert.Equal(1158, outputs[c].GetProperty("process").GetProperty("pid").GetInt32());
            Assert.Equal(23, outputs[c].GetProperty("process").GetProperty("threadCount").GetInt32());
            Assert.Equal("gcore", outputs[c].GetProperty("core").GetProperty("producer").GetString());
            Assert.Equal(1001000, outputs[c].GetProperty("core").GetProperty("osreldate").GetInt32());
            Assert.Equal(outputs["analyze"].GetProperty("core").GetRawText(), outputs[c].GetProperty("core").GetRawText());
            Assert.Equal(outputs["analyze"].GetProperty("process").GetRawText(), outputs[c].GetProperty("process").GetRawText());
        });
    }

    [CorpusFact]
    public void A_real_core_reports_the_same_thread_the_same_way_in_every_command()
    {
        // bsi-01c3190a: one thread, LWP 101039, killed by SIGSEGV (corpus README and its gdb reference).
        string core = Corpus.Core("bsi-01c3190a.core");
        var outputs = new[] { "analyze", "threads", "bt", "regs", "info" }.ToDictionary(c => c, c => Run(Arguments(c, core)));
        var gdb = GdbReference.Load(Corpus.Reference("bsi-01c3190a.gdb.txt")).Registers[101039];
        string rip = gdb.Single(r => r.Name == "rip").Value;
        foreach (var command in new[] { "analyze", "threads", "regs" })
        {
            var t = Assert.Single(outputs[command].GetProperty("threads").EnumerateArray());
            Assert.Equal(101039, t.GetProperty("lwp").GetInt32());
            Assert.Equal(rip, t.GetProperty("registers").GetProperty("rip").GetString());
        }
        Assert.All(outputs.Values, o =>
        {
            Assert.Equal("SIGSEGV", o.GetProperty("process").GetProperty("signal").GetString());
            Assert.Equal(11, o.GetProperty("process").GetProperty("signalNumber").GetInt32());
            Assert.Equal("kernel", o.GetProperty("core").GetProperty("producer").GetString());
        });
    }
}
