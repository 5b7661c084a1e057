using System.CommandLine;
using System.Diagnostics;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using CoreSleuth.Analysis;
using CoreSleuth.Analysis.MySql;
using CoreSleuth.Diagnostics;
using CoreSleuth.Elf;
using CoreSleuth.Input;
using CoreSleuth.Model;
using CoreSleuth.Report;

namespace CoreSleuth.Cli;

/// <summary>
/// The <c>coresleuth</c> command: parses options, opens the core, builds a report with the
/// library, renders it as text or JSON and sets the exit code. Nothing else happens here.
/// </summary>
public static partial class Program
{
    /// <summary>The report was written.</summary>
    public const int ExitSuccess = 0;

    /// <summary><c>mem</c>: none of the requested bytes is in the core.</summary>
    public const int ExitNothingAvailable = 1;

    /// <summary>Bad command line: unknown option, bad address or count, unknown LWP, unwritable --output.</summary>
    public const int ExitUsage = 2;

    /// <summary>The core is missing, unreadable, malformed or neither a FreeBSD amd64 nor a Linux x86-64 core.</summary>
    public const int ExitUnreadableCore = 3;

    /// <summary><c>analyze --fail-on</c>: the report has a finding of a kind asked for.</summary>
    public const int ExitFindings = 1;

    /// <summary>A bug in coresleuth: an unexpected exception, reported in one line.</summary>
    public const int ExitInternalError = 4;

    public static int Main(string[] args)
    {
        // Console.Out makes a write(2) of every 256 characters: a report of a thousand threads was
        // 7,000 system calls. This writer buffers 64 KiB; commands flush where output must show at once
        // (check, line by line), and disposing flushes the rest. A closed pipe is ignored, as by Console.Out.
        // In UTF-8, as nearly always, the writer encodes as it goes (Utf8Writer); another console encoding is honoured.
        using TextWriter stdout = Console.OutputEncoding.CodePage == Encoding.UTF8.CodePage
            ? new Utf8Writer(Console.OpenStandardOutput(), bufferSize: 1 << 16)
            : new StreamWriter(Console.OpenStandardOutput(), Console.OutputEncoding, bufferSize: 1 << 16) { NewLine = "\n" };
        CollectorMemory.Prepare();
        // A compressed core is decompressed into a temporary folder: Ctrl-C or a kill removes it too
        // (the handlers delete it, then the signal's default action ends the process).
        // So is a --sysroot archive, unpacked into one.
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => TemporaryFolders.DeleteAll());
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => TemporaryFolders.DeleteAll());
        return Run(args, stdout, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected);
    }

    /// <summary>
    /// Runs the command line <paramref name="args"/> with reports on <paramref name="stdout"/> and errors on <paramref name="stderr"/>;
    /// progress of long steps is drawn only when <paramref name="stderr"/> is the console's and that is a terminal.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>; <paramref name="stderrIsTerminal"/> says whether a progress line may be drawn on <paramref name="stderr"/>.</summary>
    internal static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal)
    {
        try
        {
            var root = new Commands(stdout, stderr, Stopwatch.StartNew(), stderrIsTerminal).Root;
            ParseResult result = root.Parse(args);
            if (UnknownOption(result) is { } unknown)
            {
                // An option the command does not have was taken as a core path (or left over): name it, run nothing.
                var command = result.CommandResult.Command;
                string usage = command == root ? "coresleuth" : $"coresleuth {command.Name}";
                stderr.WriteLine($"coresleuth: {(command == root ? "" : command.Name + ": ")}unknown option '{TextSanitizer.Sanitize(unknown)}'");
                stderr.WriteLine($"Run '{usage} --help' for usage.");
                return ExitUsage;
            }
            if (result.Action is ParseErrorAction)
            {
                foreach (string message in result.Errors.Select(e => e.Message).Distinct())
                    stderr.WriteLine($"coresleuth: {TextSanitizer.SanitizeMessage(message)}");
                var command = result.CommandResult.Command;
                string usage = command == root ? "coresleuth" : $"coresleuth {command.Name}";
                stderr.WriteLine($"Run '{usage} --help' for usage.");
                return ExitUsage;
            }
            return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            stderr.WriteLine($"coresleuth: internal error: {ex.GetType().Name}: {TextSanitizer.SanitizeMessage(ex.Message)}");
            return ExitInternalError;
        }
    }

    /// <summary>
    /// The first token that looks like an option ("-x", "--bogus") but was taken as an argument of the
    /// command (a core path) or matched nothing; tokens after "--" are arguments whatever they look like.
    /// </summary>
    private static string? UnknownOption(ParseResult result)
    {
        var afterDoubleDash = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        bool seen = false;
        foreach (var token in result.Tokens)
        {
            if (seen) afterDoubleDash.Add(token);
            else if (token.Type == TokenType.DoubleDash) seen = true;
        }
        static bool LooksLikeOption(string value) => value.Length > 1 && value[0] == '-';
        foreach (var argument in result.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens)
                if (!afterDoubleDash.Contains(token) && LooksLikeOption(token.Value)) return token.Value;
        if (!seen) return result.UnmatchedTokens.FirstOrDefault(LooksLikeOption);
        return null;
    }

    /// <summary>Parses an LWP (kernel thread id): decimal, or hex with 0x as addresses.</summary>
    internal static int? ParseLwp(ArgumentResult r)
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        if (TryParseAddress(token, out ulong value) && value <= int.MaxValue) return (int)value;
        r.AddError($"--lwp: '{token}' is not an LWP number (decimal, or hex with 0x)");
        return null;
    }

    /// <summary>Parses pthread_t tokens (hex or decimal), reporting the first bad one.</summary>
    internal static ulong[] ParseHandles(ArgumentResult r)
    {
        var values = new List<ulong>();
        foreach (var token in r.Tokens)
        {
            if (TryParseAddress(token.Value, out ulong v)) values.Add(v);
            else r.AddError($"invalid handle '{token.Value}': expected hex with 0x (0x829e76000) or decimal (34405901312)");
        }
        return [.. values];
    }

    /// <summary>Parses SIZE: bytes, or a number with K, M, G or T (powers of 1024), or "all".</summary>
    internal static long? ParseSize(ArgumentResult r)
    {
        string token = r.Tokens.Count > 0 ? r.Tokens[0].Value.Trim() : "";
        if (token.Equals("all", StringComparison.OrdinalIgnoreCase)) return long.MaxValue;
        int shift = token.Length == 0 ? 0 : char.ToUpperInvariant(token[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
        string digits = shift == 0 ? token : token[..^1];
        if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n <= long.MaxValue >> shift) return n << shift;
        r.AddError($"invalid size '{token}': expected bytes, a number with K, M, G or T (256M), or 'all'");
        return null;
    }

    /// <summary>Parses ADDRESS: <c>0x</c>-prefixed hex or decimal, 64 bits at most.</summary>
    public static bool TryParseAddress(string text, out ulong address)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address) && text.Length > 2;
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
    }

    private sealed partial class Commands
    {
        private readonly TextWriter stdout, stderr;

        /// <summary>Started when the command line arrived, for --timings.</summary>
        private readonly Stopwatch sinceStart;

        /// <summary>Whether standard error is a terminal, where a progress line may be drawn.</summary>
        private readonly bool stderrIsTerminal;

        /// <summary>The progress line of the command running (see <see cref="Execute"/>), or null.</summary>
        private ProgressLine? progress;

        public Commands(TextWriter stdout, TextWriter stderr, Stopwatch sinceStart, bool stderrIsTerminal)
        {
            this.stdout = stdout;
            this.stderr = stderr;
            this.sinceStart = sinceStart;
            this.stderrIsTerminal = stderrIsTerminal;
            // A plain command named "coresleuth" rather than RootCommand, whose name would be the
            // host's file name ("CoreSleuth.Cli", or "testhost" under a test runner) in --help.
            Root = new Command("coresleuth", "Post-mortem analysis of FreeBSD amd64 and Linux x86-64 process cores: process, threads, registers, memory.")
            {
                new VersionOption(), Analyze(), Info(), Threads(), Backtrace(), Regs(), Mem(), Handle(), Check(), Files(),
            };
            var help = new HelpOption();
            help.Action = new HelpWithExamples((HelpAction)help.Action!, examples);
            Root.Add(help);
            examples[Root] = ["coresleuth analyze mysqld.core --innodb-status innodb.txt", "coresleuth info mysqld.core", "coresleuth threads mysqld.core", "coresleuth regs mysqld.core --lwp 100412",
                "coresleuth mem mysqld.core 0x7fffffffd540 --count 16"];
        }

        private readonly Dictionary<Command, string[]> examples = [];

        public Command Root { get; }

        private Command Info()
        {
            var (command, common) = CoreCommand("info",
                "The process as procstat and gdb's 'info proc all' show it: identity, arguments, release, producer, open files, mappings (and whether the core holds them), auxv, resource limits, groups, umask, warnings.",
                "coresleuth info mysqld.core", "coresleuth info mysqld.core --format json --output info.json");
            command.SetAction(r => Execute(r, common, null, (core, path) => Outcome.Of(InfoReport.Build(core, path), TextReport.Write, JsonReport.Write)));
            return command;
        }

        private Command Threads()
        {
            var (command, common) = CoreCommand("threads",
                "One line per thread in note order: index, LWP, pthread_t, name, rip, rsp, wait message and state; with InnoDB status or a processlist, the MySQL thread id, command, time and state.",
                "coresleuth threads mysqld.core", "coresleuth threads mysqld.core --innodb-status innodb.txt --format json");
            var inputs = AnalysisInputs.AddTo(command, handles: false);
            SetTimedAction(command, common, inputs, (r, timings, core, path) =>
            {
                if (inputs.Read(r, out var error) is not { } options) return Outcome.Failure(ExitUsage, error!);
                // A thread list shows no stacks and no findings: neither is worked out.
                using var analysis = CoreAnalysis.Run(core, WithoutStacksOrSearch(options) with { Progress = progress }, timings);
                ThreadsReport report;
                using (timings.Measure("report")) report = ThreadsReport.Build(analysis, path);
                return Outcome.Of(report, TextReport.Write, JsonReport.Write);
            });
            return command;
        }

        private Command Analyze()
        {
            var (command, common) = CoreCommand("analyze",
                "The diagnosis: every thread with its pthread_t, wait message, blocking syscall (decoded) and backtrace; threads blocked opening a FIFO, with evidence and what to do; MySQL OS thread handles resolved to LWPs.",
                ["text", "markdown", "json", "dot"],
                ["coresleuth analyze mysqld.core --innodb-status innodb.txt",
                 "coresleuth analyze mysqld.core --handle 0x829e76000 --format markdown --output ticket.md",
                 "coresleuth analyze mysqld.core --sysroot /ws/freebsd-13.2 --format json --fail-on fifo"]);
            var inputs = AnalysisInputs.AddTo(command, handles: true);
            var failOn = new Option<string[]>("--fail-on")
            {
                Description = "Exit with code 1 when the report has a finding of this kind (fifo: a thread blocked opening a FIFO; deadlock: threads waiting for one another; " +
                              "blocked: threads waiting behind a root; semaphore: a long InnoDB semaphore wait; any: one of these), " +
                              "or when the check could not look at every thread (a truncated core): then a line on standard error says what it missed.",
                HelpName = "fifo|deadlock|blocked|semaphore|any",
            };
            failOn.Validators.Add(v =>
            {
                foreach (var token in v.Tokens)
                    if (!FailOnKinds.ContainsKey(token.Value)) v.AddError($"--fail-on must be fifo, deadlock, blocked, semaphore or any, not '{token.Value}'");
            });
            command.Add(failOn);
            var searchLimit = new Option<long?>("--search-limit")
            {
                Description = $"Search at most SIZE bytes of writable memory (smallest mappings first, thread stacks last) for statements that mention a blocked-open path: " +
                              $"bytes, or with K, M, G or T; 'all' for no limit (default {MemoryText.DefaultLimit >> 20}M).",
                HelpName = "SIZE",
                CustomParser = ParseSize,
            };
            command.Add(searchLimit);
            SetTimedAction(command, common, inputs, (r, timings, core, path) =>
            {
                if (inputs.Read(r, out var error) is not { } options) return Outcome.Failure(ExitUsage, error!);
                if (r.GetValue(searchLimit) is long limit) options = options with { MemorySearchLimit = limit };
                // Each frame's recovered registers are shown in JSON only.
                using var analysis = CoreAnalysis.Run(core, options with { Progress = progress, FrameRegisters = ShowsFrameRegisters(r, common) }, timings);
                AnalysisReport report;
                using (timings.Measure("report")) report = AnalysisReport.Build(analysis, path);
                // --fail-on passes only a check that saw every thread: what it could not look at fails it too.
                string[] failOnValues = r.GetValue(failOn) ?? [];
                var kinds = failOnValues.SelectMany(k => FailOnKinds[k]).ToHashSet();
                var failing = report.Findings.Where(f => kinds.Contains(f.Kind)).ToList();
                bool fail = kinds.Count > 0 && (failing.Count > 0 || report.Incomplete.Count > 0);
                return Outcome.Of(report, AnalysisText.Write, AnalysisJson.Write, fail ? ExitFindings : ExitSuccess, AnalysisMarkdown.Write, WaitGraphDiagram.WriteDot) with
                {
                    Notice = kinds.Count > 0 && report.Incomplete.Count > 0
                        ? $"--fail-on {string.Join(",", failOnValues.Distinct())}: the check is incomplete ({string.Join("; ", report.Incomplete)})" + (failing.Count > 0 ? "" : ", so it cannot say that no thread has such a finding")
                        : null,
                };
            });
            return command;
        }

        /// <summary>
        /// The command's action, with --timings: the time and allocation of each stage and the peak
        /// memory, on standard error (docs/performance.md).
        /// </summary>
        private void SetTimedAction(Command command, CommonOptions common, AnalysisInputs? inputs, Func<ParseResult, StageTimings?, CoreFile, string, Outcome> produce)
        {
            var option = new Option<bool>("--timings") { Description = "Print the time of each stage (open, modules, pthread_t, syscalls, unwind, …) and the peak memory on standard error." };
            command.Add(option);
            command.SetAction(r =>
            {
                var timings = r.GetValue(option) ? new StageTimings() : null;
                int exit = Execute(r, common, inputs, (core, path) => produce(r, timings, core, path), timings);
                if (timings is not null) TimingsText.Write(timings, r.GetValue(common.Core)!, sinceStart.Elapsed, stderr);
                return exit;
            });
        }

        private Command Check()
        {
            var check = new CheckCommand();
            var command = check.Build("check",
                "Regression check of a collection of cores: analyses each X.core (or X.core.gz, .zst, .xz) and compares the report with X.expect.json beside it " +
                "(PASS, FAIL with the field and both values, ERROR, NO-EXPECTATIONS); exit code 1 when a core failed or could not be checked.");
            examples[command] = ["coresleuth check samples/", "coresleuth check samples/ --junit TestResults/samples-junit.xml --jobs 2 --shard 1/4",
                "coresleuth check samples/new.core --update"];
            command.SetAction(r => check.Run(r, stdout, stderr));
            return command;
        }

        private Command Backtrace()
        {
            var (command, common) = CoreCommand("bt",
                "Backtraces of every thread (or one), as gdb's 'thread apply all bt': each frame with module, function (C++ demangled) and how it was found (context, cfi, frame-pointer, scan); then each stack that several threads share, once, after their LWPs (as pt-pmp sums up a server).",
                "coresleuth bt mysqld.core", "coresleuth bt mysqld.core --lwp 100460 --sysroot /ws/freebsd-10.1");
            var lwp = new Option<int?>("--lwp") { Description = "Only the thread with this LWP (kernel thread id): decimal, or hex with 0x.", HelpName = "N", CustomParser = ParseLwp };
            command.Add(lwp);
            var inputs = AnalysisInputs.AddTo(command, handles: false);
            SetTimedAction(command, common, inputs, (r, timings, core, path) =>
            {
                if (inputs.Read(r, out var error) is not { } options) return Outcome.Failure(ExitUsage, error!);
                if (r.GetValue(lwp) is { } wanted && core.Threads.All(t => t.Lwp != wanted))
                    return Outcome.Failure(ExitUsage, $"no thread with LWP {wanted}; its LWPs are {string.Join(", ", core.Threads.Select(t => t.Lwp))}");
                // Backtraces show no findings, so threads are not diagnosed nor memory searched for statements; with --lwp, one stack is walked.
                int? only = r.GetValue(lwp);
                using var analysis = CoreAnalysis.Run(core, options with { WalkStacksOf = only is { } n ? new HashSet<int> { n } : null, SearchStatements = false, Diagnose = false, Progress = progress, FrameRegisters = ShowsFrameRegisters(r, common) }, timings);
                BacktraceReport report;
                using (timings.Measure("report")) report = BacktraceReport.Build(analysis, path, only);
                return Outcome.Of(report, BacktraceReport.WriteText, BacktraceReport.WriteJson);
            });
            return command;
        }

        private Command Handle()
        {
            var (command, common) = CoreCommand("handle",
                "Resolves MySQL 'OS thread handle' values (pthread_t, hex 0x... or decimal) to LWPs: live thread, terminated thread, or invalid, with the reason.",
                "coresleuth handle mysqld.core 0x829e76000", "coresleuth handle mysqld.core 34405901312 --innodb-status innodb.txt");
            var handles = new Argument<ulong[]>("HANDLE")
            {
                Description = "pthread_t values: hex with 0x, or decimal as MySQL 5.7/8.0 print them.",
                Arity = ArgumentArity.ZeroOrMore,
                CustomParser = ParseHandles,
            };
            command.Add(handles);
            var inputs = AnalysisInputs.AddTo(command, handles: false);
            SetTimedAction(command, common, inputs, (r, timings, core, path) =>
            {
                if (inputs.Read(r, out var error) is not { } options) return Outcome.Failure(ExitUsage, error!);
                options = options with { Handles = r.GetValue(handles) ?? [] };
                if (options.Handles.Count == 0 && options.InnodbStatus is null)
                    return Outcome.Failure(ExitUsage, "give at least one HANDLE or --innodb-status FILE");
                // Handles resolve through libthr's identities alone.
                using var analysis = CoreAnalysis.Run(core, WithoutStacksOrSearch(options) with { Progress = progress }, timings);
                HandlesReport report;
                using (timings.Measure("report")) report = HandlesReport.Build(analysis, path);
                return Outcome.Of(report, HandlesReport.WriteText, HandlesReport.WriteJson);
            });
            return command;
        }

        private Command Regs()
        {
            var (command, common) = CoreCommand("regs",
                "Registers of each thread, as gdb's 'info registers' prints them; --all adds x87, SSE, AVX and the trap fields.",
                "coresleuth regs mysqld.core", "coresleuth regs mysqld.core --lwp 100412 --all");
            var lwp = new Option<int?>("--lwp") { Description = "Only the thread with this LWP (kernel thread id): decimal, or hex with 0x.", HelpName = "N", CustomParser = ParseLwp };
            var all = new Option<bool>("--all") { Description = "Also x87 control/status/tag, st0-7, mxcsr, xmm0-15, ymm upper halves, trapno/err." };
            command.Add(lwp);
            command.Add(all);
            command.SetAction(r => Execute(r, common, null, (core, path) =>
            {
                IEnumerable<CoreThread> threads = core.Threads;
                if (r.GetValue(lwp) is { } wanted)
                {
                    var match = core.Threads.Where(t => t.Lwp == wanted).ToList();
                    if (match.Count == 0)
                    {
                        string known = core.Threads.Count == 0 ? "the core has no threads" : "its LWPs are " + string.Join(", ", core.Threads.Select(t => t.Lwp));
                        return Outcome.Failure(ExitUsage, $"no thread with LWP {wanted}; {known}");
                    }
                    threads = match;
                }
                return Outcome.Of(RegistersReport.Build(core, path, threads, r.GetValue(all)), TextReport.Write, JsonReport.Write);
            }));
            return command;
        }

        private Command Mem()
        {
            var (command, common) = CoreCommand("mem",
                "Memory as gdb's 'x/Ngx' (8-byte words, two per line) or, with --string, 'x/Ns' (C strings). " +
                "Bytes the core lacks are shown as unavailable with the reason. Exit code 1 when nothing was available.",
                "coresleuth mem mysqld.core 0x7fffffffd540 --count 16", "coresleuth mem mysqld.core 0x7fffffffefcd --string");
            var address = new Argument<ulong>("ADDRESS")
            {
                Description = "Start address: hex with 0x, or decimal.",
                CustomParser = r =>
                {
                    string token = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                    if (TryParseAddress(token, out ulong value)) return value;
                    r.AddError($"invalid address '{token}': expected hex with 0x (0x7fffffffd540) or decimal");
                    return 0;
                },
            };
            var count = new Option<int?>("--count", "-n")
            {
                Description = $"Words to show (default 8, at most {MemoryReport.MaxWords}); with --string, strings to show (default 1, at most {MemoryReport.MaxStrings}).",
                HelpName = "N",
            };
            var asString = new Option<bool>("--string", "-s") { Description = "Read NUL-terminated strings instead of words." };
            command.Add(address);
            command.Add(count);
            command.Add(asString);
            command.Validators.Add(v =>
            {
                // Only a count that parsed as a number; a malformed one already has its parse error.
                if (v.GetResult(count) is not { Tokens: [var token] } ||
                    !int.TryParse(token.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n)) return;
                int max = v.GetValue(asString) ? MemoryReport.MaxStrings : MemoryReport.MaxWords;
                if (n < 1 || n > max) v.AddError($"--count must be between 1 and {max}, not {n}");
            });
            command.SetAction(r => Execute(r, common, null, (core, path) =>
            {
                ulong at = r.GetValue(address);
                var report = r.GetValue(asString)
                    ? MemoryReport.ReadStrings(core, path, at, r.GetValue(count) ?? 1)
                    : MemoryReport.ReadWords(core, path, at, r.GetValue(count) ?? 8);
                return Outcome.Of(report, TextReport.Write, JsonReport.Write, report.AnythingAvailable ? ExitSuccess : ExitNothingAvailable);
            }));
            return command;
        }

        /// <summary>A command taking CORE, --format and --output; <paramref name="example"/> lines end its --help.</summary>
        private (Command, CommonOptions) CoreCommand(string name, string description, params string[] example) =>
            CoreCommand(name, description, ["text", "json"], example);

        private (Command, CommonOptions) CoreCommand(string name, string description, string[] formats, string[] example)
        {
            var core = new Argument<string>("CORE") { Description = "The core file: a FreeBSD amd64 ELF core from gcore, the kernel or gdb, or a Linux x86-64 core from gdb's gcore or the kernel (systemd-coredump's after decompression)." };
            var format = new Option<string>("--format", "-f")
            {
                Description = "Report format.",
                DefaultValueFactory = _ => "text",
                HelpName = string.Join('|', formats),
            };
            format.Validators.Add(v =>
            {
                string? value = v.GetValueOrDefault<string>();
                if (value is null || !formats.Contains(value)) v.AddError($"--format must be {string.Join(" or ", formats)}, not '{value}'");
            });
            var output = new Option<string?>("--output", "-o") { Description = "Write the report to FILE instead of standard output.", HelpName = "FILE" };
            var command = new Command(name, description) { core, format, output };
            examples[command] = example;
            return (command, new CommonOptions(core, format, output));
        }

        /// <summary>
        /// Opens the core, builds and renders the report, writes it where --output says; maps every failure to an exit code and one line on stderr.
        /// Meanwhile a progress line may show on a terminal (decompression, signature scan, statement search); it is gone when this returns.
        /// </summary>
        private int Execute(ParseResult r, CommonOptions common, AnalysisInputs? inputs, Func<CoreFile, string, Outcome> produce, StageTimings? timings = null)
        {
            progress = ProgressLine.For(stderr, stderrIsTerminal);
            try { return ExecuteWithProgress(r, common, inputs, produce, timings); }
            finally
            {
                progress?.Clear();
                progress = null;
            }
        }

        private int ExecuteWithProgress(ParseResult r, CommonOptions common, AnalysisInputs? inputs, Func<CoreFile, string, Outcome> produce, StageTimings? timings)
        {
            string path = r.GetValue(common.Core)!;
            string format = r.GetValue(common.Format) ?? "text";
            string? outputPath = r.GetValue(common.Output);

            // --output is checked (and its temporary file made) before the core is read: a folder, an input or
            // an unwritable place is a usage error, and a run that fails later leaves the old file as it was.
            OutputFile? output = null;
            if (outputPath is not null)
            {
                var files = new List<(string, string)> { ("CORE", path) };
                if (inputs is not null) files.AddRange(inputs.Files(r));
                output = OutputFile.Prepare(outputPath, files, inputs?.Folder(r), createFolder: false, out string? why);
                if (output is null) return Fail(ExitUsage, outputPath, $"cannot write the report: {why}");
            }
            using var outputLease = output;
            // A --sysroot archive unpacked for this run is deleted when it ends.
            using var inputsLease = inputs;

            // The report is built whole before anything is written, so a core that cannot be read leaves no
            // output. It is then rendered straight to standard output, or to --output's temporary file, which
            // replaces the file only once complete: not kept in memory first (21 MB at ten thousand threads).
            Outcome outcome;
            try
            {
                if (Directory.Exists(path)) return Fail(ExitUnreadableCore, path, "is a directory, not a core file");
                CoreFile core;
                using (timings.Measure("open and notes")) core = CoreFile.Open(path, progress);
                using (core)
                {
                    outcome = produce(core, path);
                    if (outcome.Error is { } error) return Fail(outcome.ExitCode, path, error);
                    // Standard output may be the same terminal: the progress line goes before the report.
                    progress?.Clear();
                    if (output is null)
                    {
                        using (timings.Measure("render " + format)) outcome.Render!(stdout, format);
                        stdout.Flush();
                    }
                    else
                    {
                        try
                        {
                            output.Commit(file =>
                            {
                                using var w = new Utf8Writer(file, 1 << 16, leaveOpen: true);
                                using (timings.Measure("render " + format)) outcome.Render!(w, format);
                            });
                        }
                        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
                        {
                            return Fail(ExitUsage, outputPath!, $"cannot write the report: {OutputFile.Why(ex)}");
                        }
                    }
                }
            }
            catch (CoreFormatException ex) { return Fail(ExitUnreadableCore, path, ex.Message); }
            catch (UnsupportedCoreException ex) { return Fail(ExitUnreadableCore, path, WithoutPath(ex.Message, path)); }
            catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException) { return Fail(ExitUnreadableCore, path, "no such file or directory"); }
            catch (UnauthorizedAccessException) { return Fail(ExitUnreadableCore, path, "permission denied"); }
            catch (IOException ex) { return Fail(ExitUnreadableCore, path, ex.Message); }
            return Notify(outcome, path);
        }

        /// <summary>Whether the report's format shows each frame's recovered registers (JSON does; text, Markdown and dot do not).</summary>
        private static bool ShowsFrameRegisters(ParseResult r, CommonOptions common) => (r.GetValue(common.Format) ?? "text") == "json";

        /// <summary>For reports that show neither backtraces nor findings: no stack is walked, memory is not searched for statements.</summary>
        private static AnalysisOptions WithoutStacksOrSearch(AnalysisOptions options) =>
            options with { WalkStacksOf = new HashSet<int>(), SearchStatements = false, DescribeHang = false };

        /// <summary>The outcome's exit code, after its notice (if any) on standard error, once the report is written.</summary>
        private int Notify(Outcome outcome, string path) =>
            outcome.Notice is { } notice ? Fail(outcome.ExitCode, path, notice) : outcome.ExitCode;

        private int Fail(int exitCode, string path, string message)
        {
            progress?.Clear();
            stderr.WriteLine($"coresleuth: {TextSanitizer.Sanitize(path)}: {TextSanitizer.SanitizeMessage(message)}");
            return exitCode;
        }

        /// <summary>The reader's refusals start with "PATH is …"; the path is already the prefix of the error line.</summary>
        private static string WithoutPath(string message, string path) =>
            message.StartsWith(path + " is ", StringComparison.Ordinal) ? message[(path.Length + 4)..] : message;
    }

    /// <summary>gdb-style help plus a section of usage examples for the command asked about.</summary>
    private sealed class HelpWithExamples(HelpAction help, IReadOnlyDictionary<Command, string[]> examples) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int exit = help.Invoke(parseResult);
            if (examples.TryGetValue(parseResult.CommandResult.Command, out var lines))
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(lines.Length == 1 ? "Example:" : "Examples:");
                foreach (string line in lines) output.WriteLine($"  {line}");
                output.WriteLine();
            }
            return exit;
        }
    }

    /// <summary>The finding kinds each --fail-on value stands for.</summary>
    private static readonly Dictionary<string, string[]> FailOnKinds = new(StringComparer.Ordinal)
    {
        ["fifo"] = ["blocked-fifo-open"], ["deadlock"] = ["deadlock"], ["blocked"] = ["blocked-behind"], ["semaphore"] = ["long-semaphore-wait"],
        ["any"] = ["blocked-fifo-open", "deadlock", "blocked-behind", "long-semaphore-wait"],
    };

    private sealed record CommonOptions(Argument<string> Core, Option<string> Format, Option<string?> Output);

    /// <summary>What a command produced: a report to render (as text or JSON) with its exit code, or an error line instead.</summary>
    private sealed record Outcome(int ExitCode, Action<TextWriter, string>? Render, string? Error)
    {
        /// <summary>One line for standard error once the report is written (why the exit code is not 0).</summary>
        public string? Notice { get; init; }

        public static Outcome Of<T>(T report, Action<T, TextWriter> text, Action<T, TextWriter> json, int exitCode = ExitSuccess,
            Action<T, TextWriter>? markdown = null, Action<T, TextWriter>? dot = null) =>
            new(exitCode, (w, format) => (format switch { "json" => json, "markdown" => markdown ?? text, "dot" => dot ?? text, _ => text })(report, w), null);

        public static Outcome Failure(int exitCode, string error) => new(exitCode, null, error);
    }
}
