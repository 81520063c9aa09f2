using System.Globalization;

namespace Patronus.Bench.Serve;

/// <summary>
/// Datagrams the kernel dropped on the UDP sockets some processes hold (receive buffer full): the
/// last column of /proc/net/udp{,6}, matched to the processes by socket inode from /proc/PID/fd.
/// Tells a probe lost at the reflector from one lost in serve's own socket.
/// </summary>
internal static class UdpSocketDrops
{
    public static long Of(IEnumerable<int> pids)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pid in pids)
        {
            try
            {
                foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target[8..^1]);
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process or one of its descriptors went away
            }
        }

        long drops = 0;
        foreach (var file in (string[])["/proc/net/udp", "/proc/net/udp6"])
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 13 && inodes.Contains(fields[9]))
                {
                    drops += long.Parse(fields[^1], CultureInfo.InvariantCulture);
                }
            }
        }

        return drops;
    }
}
