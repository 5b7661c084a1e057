using System.Globalization;
using System.Text;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// The TRANSACTIONS section of SHOW ENGINE INNODB STATUS for a scenario's sessions, as a DBA
/// would paste it beside the core. lock_print_info_all_transactions lists the sessions whose
/// transaction has not started first, then the active ones, newest first; each session's header
/// is thd_security_context's "MySQL thread id N, OS thread handle H, query id Q host user state"
/// with H = THD::real_id = the thread's pthread_t, in hex on 5.5/5.6 and in decimal on 5.7/8.0
/// (spec §10), followed by the statement.
/// </summary>
public static class InnodbStatusText
{
    public static string Build(ScenarioProcess process)
    {
        var model = process.Scenario.InnodbStatus ?? throw new InvalidOperationException("the scenario has no innodbStatus");
        bool hex = model.Format switch
        {
            "5.5" or "5.6" => true,
            "5.7" or "8.0" => false,
            _ => throw new InvalidDataException($"innodbStatus.format \"{model.Format}\" is not 5.5, 5.6, 5.7 or 8.0"),
        };
        var sessions = process.Threads.Where(t => t.Session is not null).Reverse().ToList();
        var sb = new StringBuilder();
        if (model.Semaphores is { } semaphores) sb.Append(InnodbSemaphoresText.Build(process, semaphores));
        sb.Append("------------\nTRANSACTIONS\n------------\n");
        sb.Append(CultureInfo.InvariantCulture, $"Trx id counter {model.TrxIdCounter}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Purge done for trx's n:o < {Math.Max(0, model.TrxIdCounter - 3)} undo n:o < 0 state: running but idle\n");
        sb.Append("History list length 4\n");
        sb.Append("LIST OF TRANSACTIONS FOR EACH SESSION:\n");
        foreach (var t in sessions.Where(t => t.Session!.Trx == "not started").Concat(sessions.Where(t => t.Session!.Trx != "not started")))
        {
            var s = t.Session!;
            ulong handle = process.PthreadOf(t.Lwp);
            sb.Append(CultureInfo.InvariantCulture, $"---TRANSACTION {s.TrxId}, {s.Trx}\n");
            foreach (var line in s.TrxLines) sb.Append(line).Append('\n');
            string h = hex ? $"0x{handle:x}" : handle.ToString(CultureInfo.InvariantCulture);
            // thd_security_context prints the host (or IP) without the client's port, which the processlist's Host column has.
            string host = s.Host.LastIndexOf(':') is int colon and > 0 && s.Host[(colon + 1)..].All(char.IsAsciiDigit) ? s.Host[..colon] : s.Host;
            sb.Append(CultureInfo.InvariantCulture, $"MySQL thread id {s.Id}, OS thread handle {h}, query id {s.QueryId} {host} {s.User}");
            if (s.State is not null) sb.Append(' ').Append(s.State);
            sb.Append('\n');
            if (s.Statement is not null) sb.Append(s.Statement).Append('\n');
        }
        sb.Append("--------\nFILE I/O\n--------\n");
        return sb.ToString();
    }
}
