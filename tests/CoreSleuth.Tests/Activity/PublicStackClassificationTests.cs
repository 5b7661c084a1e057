using CoreSleuth.Analysis.Activity;

namespace CoreSleuth.Tests.Activity;

/// <summary>
/// Stacks of real servers published with bug reports and analyses, classified against what their
/// authors say the threads were doing. pt-pmp prints a frame as <c>name(file:line)</c> or
/// <c>name(library)</c>; the catalogue key drops that part as it drops a parameter list. pt-pmp also
/// drops class qualifiers (<c>wait_low</c> for <c>os_event::wait_low</c>) and cuts template names at
/// the first '>'; where a line below restores a qualifier, the comment above it gives the line as
/// published.
/// </summary>
public sealed class PublicStackClassificationTests
{
    /// <summary>A pt-pmp line (innermost frame first, comma-separated) as frame names.</summary>
    private static IReadOnlyList<string?> Pmp(string line) => line.Split(',').Select(f => (string?)f).ToList();

    private static ThreadActivity Classify(string pmpLine) => ThreadCatalogue.Classify(Pmp(pmpLine)) ?? throw new Xunit.Sdk.XunitException("not classified: " + pmpLine);

    // pstack + pt-pmp of an idle MySQL 5.7 server (a public note on pt-pmp, 2021-11-05, which points to
    // https://www.fordba.com/percona-toolkit-pt-pmp.html). Restored: os_event::wait for "wait",
    // Connection_acceptor<…>::connection_event_loop for "connection_event_loop".
    public static TheoryData<string, string, ThreadCategory> MySql57Idle => new()
    {
        { "pthread_cond_wait,native_cond_wait(thr_cond.h:140),my_cond_wait(thr_cond.h:140),inline_mysql_cond_wait(thr_cond.h:140),Per_thread_connection_handler::block_until_new_connection(thr_cond.h:140),handle_connection(connection_handler_per_thread.cc:329),pfs_spawn_thread(pfs.cc:2190),start_thread(libpthread.so.0),clone(libc.so.6)",
          "connection", ThreadCategory.IdleByDesign },
        { "__io_getevents_0_4(libaio.so.1),LinuxAIOHandler::collect(os0file.cc:2502),LinuxAIOHandler::poll(os0file.cc:2648),os_aio_linux_handler(os0file.cc:2704),os_aio_handler(os0file.cc:2704),fil_aio_wait(fil0fil.cc:5835),io_handler_thread(srv0start.cc:311),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-io-handler", ThreadCategory.WaitingForIo },
        { "pthread_cond_wait,os_event::wait(os0event.cc:165),os_event::wait_low(os0event.cc:165),srv_worker_thread(srv0srv.cc:2520),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-purge-worker", ThreadCategory.IdleByDesign },
        { "sigwait(libpthread.so.0),signal_hand(mysqld.cc:2120),pfs_spawn_thread(pfs.cc:2190),start_thread(libpthread.so.0),clone(libc.so.6)",
          "signal-handler", ThreadCategory.IdleByDesign },
        { "sigwaitinfo(libc.so.6),timer_notify_thread_func(posix_timers.c:77),pfs_spawn_thread(pfs.cc:2190),start_thread(libpthread.so.0),clone(libc.so.6)",
          "timer", ThreadCategory.IdleByDesign },
        { "pthread_cond_wait,os_event::wait(os0event.cc:165),os_event::wait_low(os0event.cc:165),srv_purge_coordinator_suspend(srv0srv.cc:2676),srv_purge_coordinator_thread(srv0srv.cc:2676),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-purge-coordinator", ThreadCategory.IdleByDesign },
        { "pthread_cond_wait,os_event::wait(os0event.cc:165),os_event::wait_low(os0event.cc:165),buf_resize_thread(buf0buf.cc:3019),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-buffer-pool-resize", ThreadCategory.IdleByDesign },
        { "pthread_cond_wait,os_event::wait(os0event.cc:165),os_event::wait_low(os0event.cc:165),buf_flush_page_cleaner_worker(buf0flu.cc:3496),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-page-cleaner", ThreadCategory.IdleByDesign },
        { "pthread_cond_wait,os_event::wait(os0event.cc:165),os_event::wait_low(os0event.cc:165),buf_dump_thread(buf0dump.cc:782),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-buffer-pool-dump", ThreadCategory.IdleByDesign },
        { "pthread_cond_wait,native_cond_wait(thr_cond.h:140),my_cond_wait(thr_cond.h:140),inline_mysql_cond_wait(thr_cond.h:140),compress_gtid_table(thr_cond.h:140),pfs_spawn_thread(pfs.cc:2190),start_thread(libpthread.so.0),clone(libc.so.6)",
          "gtid-compressor", ThreadCategory.IdleByDesign },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),srv_monitor_thread(srv0srv.cc:1585),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-monitor", ThreadCategory.IdleByDesign },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),srv_error_monitor_thread(srv0srv.cc:1751),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-error-monitor", ThreadCategory.IdleByDesign },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),pc_sleep_if_needed(buf0flu.cc:2690),buf_flush_page_cleaner_coordinator(buf0flu.cc:2690),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-page-cleaner", ThreadCategory.Sleeping },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),lock_wait_timeout_thread(lock0wait.cc:501),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-lock-wait-timeout", ThreadCategory.IdleByDesign },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),ib_wqueue_timedwait(ut0wqueue.cc:160),fts_optimize_thread(fts0opt.cc:3031),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-fts-optimize", ThreadCategory.IdleByDesign },
        { "pthread_cond_timedwait,os_event::timed_wait(os0event.cc:285),os_event::wait_time_low(os0event.cc:412),dict_stats_thread(dict0stats_bg.cc:428),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-dict-stats", ThreadCategory.IdleByDesign },
        { "poll(libc.so.6),Mysqld_socket_listener::listen_for_connection_event(socket_connection.cc:852),Connection_acceptor<Mysqld_socket_listener>::connection_event_loop(connection_acceptor.h:66),mysqld_main(connection_acceptor.h:66),__libc_start_main(libc.so.6),_start",
          "listener", ThreadCategory.IdleByDesign },
        { "nanosleep(libpthread.so.0),os_thread_sleep(os0thread.cc:279),srv_master_sleep(srv0srv.cc:2330),srv_master_thread(srv0srv.cc:2330),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-master", ThreadCategory.Sleeping },
    };

    [Theory]
    [MemberData(nameof(MySql57Idle))]
    public void An_idle_MySQL_57_shows_each_thread_in_its_usual_state(string line, string roleId, ThreadCategory category)
    {
        var activity = Classify(line);
        Assert.Equal(roleId, activity.RoleId);
        Assert.Equal(category, activity.Category);
    }

    // pt-pmp of a Percona Server 5.6 with the thread pool, in the README of
    // https://github.com/arstercz/sys-toolkit (commit b0358af, "sys-stalk" section). Restored: nothing.
    public static TheoryData<string, string?, ThreadCategory> Percona56ThreadPool => new()
    {
        { "epoll_wait(libc.so.6),io_poll_wait(threadpool_unix.cc:292),listener(threadpool_unix.cc:292),get_event(threadpool_unix.cc:1166),worker_main(threadpool_unix.cc:1166),pfs_spawn_thread(pfs.cc:1861),start_thread(libpthread.so.0),clone(libc.so.6)",
          "thread-pool-worker", ThreadCategory.IdleByDesign },
        // Simulated AIO on Linux: the handler waits "for i/o request", as FreeBSD's always do.
        { "pthread_cond_wait,os_cond_wait(os0sync.cc:196),os_event_wait_low(os0sync.cc:196),os_aio_simulated_handle(os0file.cc:5969),fil_aio_wait(fil0fil.cc:5923),io_handler_thread(srv0start.cc:518),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-io-handler", ThreadCategory.IdleByDesign },
        { "select(libc.so.6),os_thread_sleep(os0thread.cc:304),srv_master_sleep(srv0srv.cc:2967),srv_master_thread(srv0srv.cc:2967),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-master", ThreadCategory.Sleeping },
        { "select(libc.so.6),os_thread_sleep(os0thread.cc:304),page_cleaner_sleep_if_needed(buf0flu.cc:2590),buf_flush_page_cleaner_thread(buf0flu.cc:2590),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-page-cleaner", ThreadCategory.Sleeping },
        { "pthread_cond_wait,os_cond_wait(os0sync.cc:196),os_event_wait_low(os0sync.cc:196),srv_purge_coordinator_suspend(srv0srv.cc:3333),srv_purge_coordinator_thread(srv0srv.cc:3333),start_thread(libpthread.so.0),clone(libc.so.6)",
          "innodb-purge-coordinator", ThreadCategory.IdleByDesign },
        // Percona 5.6 names its timer thread timer_notify_thread (not in the catalogue): the wait still says "a signal".
        { "sigwaitinfo(libc.so.6),timer_notify_thread(posix_timers.c:78),start_thread(libpthread.so.0),clone(libc.so.6)",
          null, ThreadCategory.IdleByDesign },
    };

    [Theory]
    [MemberData(nameof(Percona56ThreadPool))]
    public void A_Percona_56_thread_pool_server_is_read_the_same_way(string line, string? roleId, ThreadCategory category)
    {
        var activity = Classify(line);
        Assert.Equal(roleId, activity.RoleId);
        Assert.Equal(category, activity.Category);
    }

    [Fact]
    public void A_session_waiting_for_a_metadata_lock_under_open_tables()
    {
        // gdb backtrace of a SELECT blocked after a killed FLUSH TABLES WITH READ LOCK, Percona Server
        // 5.7.22 (Gao Peng, "MySQL: FTWRL 一个奇怪的堵塞现象和堵塞总结", actionsky community, 2019; mirrored
        // at https://laitimes.com/article/1p4bb_1v2pp.html). Frames #0–#10 as printed, arguments left out.
        string?[] frames =
        [
            "MDL_wait::timed_wait(MDL_context_owner*, timespec*, bool, PSI_stage_info_v1 const*)",
            "TABLE_SHARE::wait_for_old_version(THD*, timespec*, unsigned int)",
            "tdc_wait_for_old_version(THD*, char const*, char const*, unsigned long, unsigned int)",
            "open_table(THD*, TABLE_LIST*, Open_table_context*)",
            "open_and_process_table(THD*, LEX*, TABLE_LIST*, unsigned int*, unsigned int, Prelocking_strategy*, bool, Open_table_context*)",
            "open_tables(THD*, TABLE_LIST**, unsigned int*, unsigned int, Prelocking_strategy*)",
            "open_tables_for_query(THD*, TABLE_LIST*, unsigned int)",
            "execute_sqlcom_select(THD*, TABLE_LIST*)",
            "mysql_execute_command(THD*, bool)",
            "mysql_parse(THD*, Parser_state*)",
            "dispatch_command(THD*, COM_DATA const*, enum_server_command)",
        ];
        var activity = ThreadCatalogue.Classify(frames)!;
        Assert.Equal(ThreadCategory.WaitingForLock, activity.Category);
        Assert.Equal("MDL_wait::timed_wait", activity.Activity!.Function);
        Assert.Contains("metadata lock", activity.Sentence, StringComparison.Ordinal);
        Assert.Null(activity.Role); // the published backtrace ends at dispatch_command
    }

    [Fact]
    public void FTWRL_waiting_for_old_table_versions_is_a_metadata_lock_wait()
    {
        // Same article: the FLUSH TABLES WITH READ LOCK itself, in close_cached_tables, through the 5.7 debug cond-wait wrappers.
        string?[] frames =
        [
            "pthread_cond_timedwait@@GLIBC_2.3.2", "native_cond_timedwait(pthread_cond_t*, pthread_mutex_t*, timespec const*)",
            "safe_cond_timedwait(pthread_cond_t*, safe_mutex_t*, timespec const*, char const*, unsigned int)",
            "my_cond_timedwait(pthread_cond_t*, my_mutex_t*, timespec const*, char const*, unsigned int)",
            "inline_mysql_cond_timedwait(mysql_cond_t*, mysql_mutex_t*, timespec const*, char const*, unsigned int)",
            "MDL_wait::timed_wait(MDL_context_owner*, timespec*, bool, PSI_stage_info_v1 const*)",
            "TABLE_SHARE::wait_for_old_version(THD*, timespec*, unsigned int)",
            "close_cached_tables(THD*, TABLE_LIST*, bool, unsigned long)",
            "reload_acl_and_cache(THD*, unsigned long, TABLE_LIST*, int*)",
            "mysql_execute_command(THD*, bool)", "mysql_parse(THD*, Parser_state*)",
            "dispatch_command(THD*, COM_DATA const*, enum_server_command)",
        ];
        var activity = ThreadCatalogue.Classify(frames)!;
        Assert.Equal(ThreadCategory.WaitingForLock, activity.Category);
        Assert.Equal(5, activity.ActivityFrame);
    }

    [Fact]
    public void A_MariaDB_connection_reading_its_next_command_is_idle()
    {
        // pt-pmp summary of a MariaDB backtrace with 1915 threads (Valerii Kravchuk, "How to Summarize gdb
        // Backtrace with pt-pmp (and Flamegraph)", http://mysqlentomologist.blogspot.com/search/label/pt-pmp, 2022-02-10): 598 threads.
        var activity = Classify("poll(libc.so.6),vio_io_wait(viosocket.c:945),vio_socket_io_wait(viosocket.c:108),vio_read(viosocket.c:184),my_real_read(net_serv.cc:892),my_net_read_packet_reallen(net_serv.cc:1162),my_net_read_packet(net_serv.cc:1146),do_command(sql_parse.cc:1262),do_handle_one_connection(sql_connect.cc:1336),handle_one_connection(sql_connect.cc:1241),pfs_spawn_thread(pfs.cc:1862),start_thread(libpthread.so.0),clone(libc.so.6)");
        Assert.Equal("connection", activity.RoleId);
        Assert.Equal(ThreadCategory.IdleByDesign, activity.Category);
        Assert.Equal("my_net_read_packet", activity.Activity!.Function);
    }

    [Fact]
    public void MariaDB_threads_queued_on_an_InnoDB_rw_lock_wait_for_a_latch()
    {
        // Same post, 82 threads (published line cut after rw_lock_s_lock_spin). Restored: os_event::wait, os_event::wait_low.
        var activity = Classify("pthread_cond_wait,os_event::wait(os0event.cc:158),os_event::wait_low(os0event.cc:158),os_event_wait_low(os0event.cc:158),sync_array_wait_event(sync0arr.cc:471),rw_lock_s_lock_spin(sync0rw.cc:373)");
        Assert.Equal(ThreadCategory.WaitingForLock, activity.Category);
        Assert.Equal("sync_array_wait_event", activity.Activity!.Function);
    }

    // PMP of MySQL 5.7.11 under a write load (Laurynas Biveinis and Alexey Stroganov, Percona blog,
    // 2016-05-03, the follow-up of https://www.percona.com/blog/2016/03/17/percona-server-5-7-performance-improvements/;
    // MySQL bug 80979). Lines cut with "..." where the post cut them.
    [Fact]
    public void Sessions_queued_on_an_InnoDB_mutex_wait_for_a_lock()
    {
        // Published: pthread_cond_wait,PolicyMutex<TTASEventMutex<GenericPolicy>(ut0mutex.ic:89),get_next_redo_rseg(…
        var activity = Classify("pthread_cond_wait,PolicyMutex<TTASEventMutex<GenericPolicy> >::enter(ut0mutex.ic:89),get_next_redo_rseg(trx0trx.cc:1185),trx_assign_rseg_low(trx0trx.cc:1278),trx_set_rw_mode(trx0trx.cc:1278),lock_table(lock0lock.cc:4076)");
        Assert.Equal(ThreadCategory.WaitingForLock, activity.Category);
        Assert.Equal("PolicyMutex::enter", activity.Activity!.Function);
    }

    [Fact]
    public void Sessions_of_the_same_server_waiting_for_their_clients_are_idle()
    {
        var reading = Classify("poll(libc.so.6),Protocol_classic::get_command(protocol_classic.cc:965),do_command(sql_parse.cc:935),handle_connection(connection_handler_per_thread.cc:301)");
        Assert.Equal((ThreadCategory.IdleByDesign, "connection"), (reading.Category, reading.RoleId));
        Assert.Contains("next command", reading.Sentence, StringComparison.Ordinal);

        // Cut after the wait site: no role frame, but the wait site belongs to connection threads.
        var cached = Classify("pthread_cond_wait,Per_thread_connection_handler::block_until_new_connection(thr_cond.h:136)");
        Assert.Null(cached.Role);
        Assert.Equal((ThreadCategory.IdleByDesign, "connection"), (cached.Category, cached.RoleId));
    }

    [Fact]
    public void A_wait_the_catalogue_does_not_know_stays_unknown()
    {
        // The post's 631 threads waiting for a doublewrite slot (bug 80979): a bare cond-var wait in
        // buf_dblwr_write_single_page, which the catalogue does not name; it must not guess "idle".
        var activity = Classify("pthread_cond_wait,buf_dblwr_write_single_page(buf0dblwr.cc:1213),buf_flush_write_block_low(buf0flu.cc:1096),buf_flush_page(buf0flu.cc:1096),buf_flush_single_page_from_LRU(buf0flu.cc:2217),buf_LRU_get_free_block(buf0lru.cc:1401)");
        Assert.Equal(ThreadCategory.Unknown, activity.Category);
        Assert.False(activity.InDesignedWait);
    }

    [Fact]
    public void Opening_tables_behind_the_InnoDB_kernel_mutex_waits_for_a_lock()
    {
        // PMP from https://dom.as/2010/02/26/opening-tables-v2/ (Domas Mituzas; MySQL bug 51557), MySQL 5.1: frames #3–#15.
        string?[] frames =
        [
            "mutex_spin_wait", "trx_allocate_for_mysql", "ha_innobase::allocate_trx", "check_trx_exists", "ha_innobase::info",
            "ha_innobase::open", "handler::ha_open", "openfrm", "open_unireg_entry", "open_table", "open_tables", "open_and_lock_tables", "mysql_insert",
        ];
        var activity = ThreadCatalogue.Classify(frames)!;
        Assert.Equal(ThreadCategory.WaitingForLock, activity.Category);
        Assert.Equal(0, activity.ActivityFrame);
    }

    [Fact]
    public void A_stack_with_nothing_catalogued_is_not_classified()
    {
        Assert.Null(ThreadCatalogue.Classify(["start_thread", "clone"]));
        Assert.Null(ThreadCatalogue.Classify([]));
        Assert.Null(ThreadCatalogue.Classify([null, null]));
    }

    [Fact]
    public void A_thread_whose_innermost_frame_is_its_loop_is_running()
    {
        var activity = ThreadCatalogue.Classify(["srv_master_thread", "start_thread"])!;
        Assert.Equal(ThreadCategory.Running, activity.Category);
        var deeper = ThreadCatalogue.Classify(["row_search_mvcc", "srv_master_thread"])!;
        Assert.Equal(ThreadCategory.Unknown, deeper.Category);
        Assert.Equal("innodb-master", deeper.RoleId);
    }

    [Fact]
    public void my_net_read_outside_do_command_is_not_an_idle_client()
    {
        // LOAD DATA LOCAL reads the file from the client through the same my_net_read, deep inside a statement.
        string?[] frames = ["poll", "vio_io_wait", "vio_read", "my_real_read", "my_net_read", "_my_b_net_read", "READ_INFO::read_field", "mysql_load", "mysql_execute_command", "mysql_parse", "dispatch_command", "do_command", "do_handle_one_connection", "handle_one_connection"];
        var activity = ThreadCatalogue.Classify(frames)!;
        Assert.Equal(ThreadCategory.WaitingForPeer, activity.Category);
        Assert.Equal("connection", activity.RoleId);
    }
}
