using System.Globalization;
using System.Text;

namespace CoreSleuth.Testing.Scenarios;

/// <summary>
/// The SEMAPHORES section of a MySQL 5.7 SHOW ENGINE INNODB STATUS (srv_printf_innodb_monitor →
/// sync_print → sync_array_print / sync_print_wait_info), with one cell per waiting thread as
/// storage/innobase/sync/sync0arr.cc's sync_array_cell_print prints it for an rw-latch:
/// <code>
/// --Thread %lu has waited at %s line %lu for %.2f seconds the semaphore:
/// X-lock on RW-latch at %p created in file %s line %lu
/// a writer (thread id %lu) has reserved it in mode  exclusive
/// number of readers %lu, waiters flag %lu, lock_word: %lx
/// Last time read locked in file %s line %lu
/// Last time write locked in file %s line %lu
/// </code>
/// Thread ids are os_thread_pf(pthread_t), i.e. the pthread_t in decimal (spec §10); the waiting
/// site and the read-lock file are base names (innobase_basename), the write-lock file is printed
/// as stored (__FILE__ of the build). "reserved it in mode %s" with " exclusive\n" gives the two spaces.
/// </summary>
public static class InnodbSemaphoresText
{
    public static string Build(ScenarioProcess process, SemaphoresModel model)
    {
        if (process.Scenario.InnodbStatus?.Format != "5.7")
            throw new InvalidDataException("innodbStatus.semaphores is written in the 5.7 format only (give \"format\": \"5.7\")");
        string Handle(int lwp) => process.PthreadOf(lwp).ToString(CultureInfo.InvariantCulture);
        var latch = model.Latch;
        var sb = new StringBuilder();
        sb.Append("----------\nSEMAPHORES\n----------\n");
        sb.Append(CultureInfo.InvariantCulture, $"OS WAIT ARRAY INFO: reservation count {model.ReservationCount}\n");
        foreach (var w in model.Waiters)
        {
            string request = w.Request switch
            {
                "X" => "X-lock on",
                "X-wait" => "X-lock (wait_ex) on",
                "SX" => "SX-lock on",
                "S" => "S-lock on",
                _ => throw new InvalidDataException($"semaphores: waiter LWP {w.Lwp}: request \"{w.Request}\" is not X, X-wait, SX or S"),
            };
            sb.Append(CultureInfo.InvariantCulture, $"--Thread {Handle(w.Lwp)} has waited at {w.File} line {w.Line} for {w.Seconds:F2} seconds the semaphore:\n");
            sb.Append(CultureInfo.InvariantCulture, $"{request} RW-latch at 0x{latch.Address:x} created in file {latch.CreatedFile} line {latch.CreatedLine}\n");
            if (latch.WriterLwp is int writer)
            {
                if (latch.WriterMode is not ("exclusive" or "SX" or "wait exclusive"))
                    throw new InvalidDataException($"semaphores: writerMode \"{latch.WriterMode}\" is not exclusive, SX or wait exclusive");
                sb.Append(CultureInfo.InvariantCulture, $"a writer (thread id {Handle(writer)}) has reserved it in mode  {latch.WriterMode}\n");
            }
            sb.Append(CultureInfo.InvariantCulture, $"number of readers {latch.Readers}, waiters flag 1, lock_word: {latch.LockWord:x}\n");
            sb.Append(CultureInfo.InvariantCulture, $"Last time read locked in file {latch.LastReadFile} line {latch.LastReadLine}\n");
            sb.Append(CultureInfo.InvariantCulture, $"Last time write locked in file {latch.LastWriteFile} line {latch.LastWriteLine}\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"OS WAIT ARRAY INFO: signal count {model.SignalCount}\n");
        string Stats(string name, IReadOnlyList<long> v) => v.Count == 3
            ? string.Create(CultureInfo.InvariantCulture, $"{name} spins {v[0]}, rounds {v[1]}, OS waits {v[2]}\n")
            : throw new InvalidDataException($"semaphores: {name} needs [spins, rounds, OS waits]");
        sb.Append(Stats("RW-shared", model.RwShared)).Append(Stats("RW-excl", model.RwExcl)).Append(Stats("RW-sx", model.RwSx));
        static double PerWait(IReadOnlyList<long> v) => (double)v[1] / Math.Max(1, v[2]);
        sb.Append(CultureInfo.InvariantCulture, $"Spin rounds per wait: {PerWait(model.RwShared):F2} RW-shared, {PerWait(model.RwExcl):F2} RW-excl, {PerWait(model.RwSx):F2} RW-sx\n");
        return sb.ToString();
    }
}
