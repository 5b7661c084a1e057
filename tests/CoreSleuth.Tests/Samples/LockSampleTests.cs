using CoreSleuth.Analysis.MySql;
using CoreSleuth.Testing.Scenarios;

namespace CoreSleuth.Tests.Samples;

/// <summary>
/// The lock facts of the samples that have them, read back independently of the writer: the
/// processlist beside the core gives every session of the scenario (read by CoreSleuth's
/// processlist reader), and LLDB finds each mutex's m_owner word naming its owner's LWP with
/// UMUTEX_CONTESTED, the owner's struct pthread queueing it in mq[TMQ_NORM] and mq[TMQ_NORM_PRIV],
/// and every thread that sleeps on it passing its address in rdi.
/// </summary>
public class LockSampleTests
{
    private static IEnumerable<string> ProcesslistSamples => SampleSet.Names.Where(n => SampleSet.Build(n).Scenario.Processlist is not null);

    private static IEnumerable<string> MutexSamples => SampleSet.Names.Where(n => SampleSet.Build(n).Scenario.Mutexes.Count > 0);

    public static TheoryData<string> WithProcesslist => [.. ProcesslistSamples];

    public static TheoryData<string> WithMutexes => [.. MutexSamples];

    [Fact]
    public void The_lock_samples_are_enumerated()
    {
        Assert.Contains("mysqld-table-lock-victims", ProcesslistSamples);
        Assert.Contains("mysqld-mutex-deadlock", ProcesslistSamples);
        Assert.Contains("mysqld-mutex-deadlock", MutexSamples);
    }

    [Theory]
    [MemberData(nameof(WithProcesslist))]
    public void The_processlist_beside_the_core_gives_every_session_of_the_scenario(string name)
    {
        var b = SampleSet.Build(name);
        var text = MySqlSessions.ReadProcesslist(File.ReadAllText(Path.Combine(SampleSet.Folder, name + ".processlist.txt")));
        Assert.Equal(b.Scenario.Processlist!.Format == "table" ? CaptureForm.Table : CaptureForm.Batch, text.Form);
        Assert.Empty(text.UnreadLines);
        var sessions = b.Process.Threads.Where(t => t.Session is not null).Select(t => t.Session!).OrderBy(s => s.Id).ToList();
        Assert.Equal(sessions.Select(s => s.Id), text.Sessions.Select(s => s.ThreadId));
        foreach (var (s, row) in sessions.Zip(text.Sessions))
        {
            Assert.Equal(s.User, row.User);
            Assert.Equal(s.Host, row.Host);
            Assert.Equal(s.Db, row.Database);
            Assert.Equal(s.Command, row.Command);
            Assert.Equal(s.Time, row.TimeSeconds);
            Assert.Equal(s.State, row.State);
            Assert.Equal(s.Statement, row.Query);
        }
    }

    [Theory]
    [InlineData("\"freebsd\": \"13.5\", \"mutexes\": [{ \"label\": \"M1\", \"at\": \"0x829e40100\", \"owner\": 100230 }]", "needs a fixed \"pthread\"")]
    [InlineData("\"freebsd\": \"12.4\", \"mutexes\": [{ \"label\": \"M1\", \"at\": \"0x829e40100\", \"owner\": 100230 }]", "13.x/14.x only")]
    [InlineData("\"freebsd\": \"13.5\", \"mutexes\": [{ \"label\": \"M1\", \"at\": \"0x829e40100\", \"owner\": 100299 }]", "owner 100299 is not a live thread")]
    [InlineData("\"freebsd\": \"13.5\", \"processlist\": { \"format\": \"csv\" }", "not batch or table")]
    public void Bad_mutexes_and_processlists_are_refused_with_the_reason(string members, string reason)
    {
        var temp = Directory.CreateTempSubdirectory("coresleuth-lock-scenario-");
        try
        {
            string path = Path.Combine(temp.FullName, "bad.json");
            File.WriteAllText(path, "{ " + members + """, "threads": [{ "lwp": 100201, "role": "main" }, { "lwp": 100230, "role": "session-idle", "session": { "id": 8 } }] }""");
            var e = Assert.Throws<InvalidDataException>(() => SampleBuild.FromFile(path));
            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    [LldbTheory]
    [MemberData(nameof(WithMutexes))]
    public void Lldb_finds_each_mutex_owned_queued_in_its_owner_and_waited_for(string name)
    {
        var b = SampleSet.Build(name);
        var commands = new List<string>();
        foreach (var m in b.Scenario.Mutexes)
        {
            commands.Add($"memory read --format x --size 8 --count 1 0x{m.At:x}");
            commands.Add($"memory read --format x --size 8 --count 4 0x{b.Process.PthreadOf(m.Owner) + ScenarioMutexes.MutexQueuesOffset:x}");
        }
        var order = Expectations.NoteOrder(b);
        var waiters = b.Core.Threads.Where(t => t.Registers.Rax == 454 && b.Scenario.Mutexes.Any(m => m.At == t.Registers.Rdi)).ToList();
        Assert.Equal(b.Scenario.Mutexes.Count, waiters.Count);   // the samples' mutexes each have one sleeper
        foreach (var w in waiters) commands.AddRange([$"thread select {order.ToList().IndexOf(w.Lwp) + 1}", "register read rdi rsi"]);

        var lldb = Lldb.Run(["-c", SampleSet.CorePath(name)], commands);

        foreach (var m in b.Scenario.Mutexes)
        {
            // struct umutex: m_owner (owner LWP | UMUTEX_CONTESTED), m_flags 0.
            Assert.Contains($"0x{m.At:x}: 0x{(ulong)(uint)m.Owner | ScenarioMutexes.UmutexContested:x16}",
                lldb[$"memory read --format x --size 8 --count 1 0x{m.At:x}"]);
            // mq[TMQ_NORM] = { m, &m->m_qe.tqe_next }, mq[TMQ_NORM_PRIV] = { m, &m->m_pqe.tqe_next } (one mutex per owner here).
            ulong head = b.Process.PthreadOf(m.Owner) + ScenarioMutexes.MutexQueuesOffset;
            string queues = lldb[$"memory read --format x --size 8 --count 4 0x{head:x}"];
            Assert.Contains($"0x{head:x}: 0x{m.At:x16} 0x{m.At + ScenarioMutexes.MQeOffset:x16}", queues);
            Assert.Contains($"0x{head + 16:x}: 0x{m.At:x16} 0x{m.At + ScenarioMutexes.MPqeOffset:x16}", queues);
        }
        int i = 0;
        foreach (var w in waiters)
        {
            string regs = lldb[$"register read rdi rsi#{i++}"];
            Assert.Contains($"rdi = 0x{w.Registers.Rdi:x16}", regs);
            Assert.Contains("rsi = 0x0000000000000011", regs);   // UMTX_OP_MUTEX_WAIT
            var mutex = b.Scenario.Mutexes.Single(m => m.At == w.Registers.Rdi);
            Assert.NotEqual(w.Lwp, mutex.Owner);                   // it waits for another thread
        }
    }
}
