using CoreSleuth.Testing.Images;

namespace CoreSleuth.Tests.Images;

/// <summary>The C++ names of the mysqld image must be valid Itanium manglings of the intended signatures.</summary>
public sealed class MangledNameTests
{
    /// <summary>The signatures as a person would write them (c++filt's spelling).</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        [MysqldImage.MyOpen] = "my_open(char const*, int, unsigned long)",
        [MysqldImage.MysqlLoad] = "mysql_load(THD*, sql_exchange*, TABLE_LIST*, List<Item>&, List<Item>&, List<Item>&, enum_duplicates, bool, bool)",
        [MysqldImage.MysqlExecuteCommand] = "mysql_execute_command(THD*)",
        [MysqldImage.MysqlParse] = "mysql_parse(THD*, char*, unsigned int, Parser_state*)",
        [MysqldImage.DispatchCommand] = "dispatch_command(enum_server_command, THD*, char*, unsigned int)",
        [MysqldImage.DoCommand] = "do_command(THD*)",
        [MysqldImage.DoHandleOneConnection] = "do_handle_one_connection(THD*)",
        [MysqldImage.HandleOneConnection] = "handle_one_connection(void*)",
        [MysqldImage.MysqldMain] = "mysqld_main(int, char**)",
        [MysqldImage.HandleConnectionsSockets] = "handle_connections_sockets()",
        [MysqldImage.MyNetRead] = "my_net_read(st_net*)",
        [MysqldImage.OneThreadPerConnectionEnd] = "one_thread_per_connection_end(THD*, bool)",
        [MysqldImage.BlockUntilNewConnection] = "block_until_new_connection()",
        [MysqldImage.SignalHand] = "signal_hand(void*)",
        [MysqldImage.HandleManager] = "handle_manager(void*)",
        [MysqldImage.FilAioWait] = "fil_aio_wait(unsigned long)",
        [MysqldImage.OsAioSimulatedHandle] = "os_aio_simulated_handle(unsigned long, fil_node_t**, void**, unsigned long*)",
        [MysqldImage.OsEventWaitLow] = "os_event_wait_low(os_event*, long)",
        [MysqldImage.OsEventWaitLowMember] = "os_event::wait_low(long)",
        [MysqldImage.OsEventWaitTimeLow] = "os_event_wait_time_low(os_event*, unsigned long, long)",
        [MysqldImage.OsEventWaitTimeLowMember] = "os_event::wait_time_low(unsigned long, long)",
        [MysqldImage.OsEventTimedWait] = "os_event::timed_wait(timespec const*)",
        [MysqldImage.SrvMasterSleep] = "srv_master_sleep()",
        [MysqldImage.OsThreadSleep] = "os_thread_sleep(unsigned long)",
        [MysqldImage.PurgeCoordinatorSuspend] = "srv_purge_coordinator_suspend(srv_slot_t*, unsigned long)",
        [MysqldImage.PageCleanerSleepIfNeeded] = "page_cleaner_sleep_if_needed(unsigned long)",
    };

    [ToolFact("c++filt")]
    public void Every_mangled_name_demangles_to_the_intended_signature()
    {
        foreach (var (mangled, signature) in Expected)
        {
            Assert.Equal(signature, Tools.RunClean("c++filt", mangled).Trim());
        }
    }

    [ToolFact("c++filt", "readelf")]
    public void Every_mangled_symbol_of_the_image_is_covered()
    {
        // All _Z names of mysqld, exported or static, are in the table above.
        var names = MysqldImage.Spec(FreeBsdVersion.V13_5).Functions.Select(f => f.Name).Where(n => n.StartsWith("_Z", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(Expected.ContainsKey(n), $"{n} has no expected signature"));

        using var temp = new TempFiles();
        var exported = ReadElf.DynamicSymbols(temp.Write(Samples.Images("13.5").Mysqld)).Where(s => s.Name.StartsWith("_Z", StringComparison.Ordinal)).Select(s => s.Name).ToList();
        Assert.Contains(MysqldImage.MyOpen, exported);
        Assert.DoesNotContain(MysqldImage.BlockUntilNewConnection, exported); // internal linkage: no .dynsym entry
    }
}
