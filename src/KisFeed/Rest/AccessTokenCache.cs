using System.Security.Cryptography;
using System.Text;
using System.Text.Json;


namespace KisFeed.Rest;

/// <summary>An access token and its expiry. <see cref="ToString"/> never shows the token in full.</summary>
/// <param name="Value">The token.</param>
/// <param name="ExpiresAt">When KIS stops accepting it.</param>
/// <param name="IssuedAt">When it was obtained.</param>
/// <param name="RenewOnlyAtExpiry">
/// KIS answered a renewal with this same token (it returns the same token within 6 hours of issuing it), so asking
/// again early is pointless (and would trip EGW00133): use it until it expires.
/// </param>
internal sealed record CachedToken(string Value, DateTimeOffset ExpiresAt, DateTimeOffset IssuedAt, bool RenewOnlyAtExpiry = false)
{
    public override string ToString() => $"token {Secrets.Redact(Value)} expires {ExpiresAt:O}";
}

/// <summary>
/// The access token of one (REST endpoint, app key), shared by every <see cref="KisRestClient"/> in the process, and
/// kept across processes in a file (owner-only, named by a hash, holding the token and its expiry but never the app
/// secret). Issuance is serialised in-process by a semaphore and across processes by an exclusive lock file, so two
/// commands started together still ask KIS once (KIS allows one issuance a minute: EGW00133).
/// </summary>
internal sealed class AccessTokenCache(string restAuthority, string appKey, string? filePath)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CachedToken? _current;
    private long _requested;

    /// <summary>The cache file, or null when the token is kept only in memory.</summary>
    public string? FilePath => filePath;

    /// <summary>Token requests this process sent to KIS for this app key.</summary>
    public long Requested => Interlocked.Read(ref _requested);

    /// <summary>
    /// A token valid for at least <paramref name="renewBefore"/>, other than <paramref name="rejected"/> (a token KIS just
    /// refused). Looks in memory, then in the file, then asks KIS with <paramref name="issue"/>.
    /// </summary>
    public async Task<CachedToken> GetAsync(
        Func<CancellationToken, Task<CachedToken>> issue, TimeProvider time, TimeSpan renewBefore, string? rejected, CancellationToken ct)
    {
        CachedToken? current = Volatile.Read(ref _current);
        if (Usable(current, time, renewBefore, rejected))
        {
            return current!;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            current = _current;
            if (Usable(current, time, renewBefore, rejected))
            {
                return current!;
            }

            if (filePath is null)
            {
                CachedToken fresh = await IssueAsync(issue, ct).ConfigureAwait(false);
                return Store(fresh.Value == current?.Value ? fresh with { RenewOnlyAtExpiry = true } : fresh);
            }

            if (ReadFile() is { } fromFile && Usable(fromFile, time, renewBefore, rejected))
            {
                return Store(fromFile);
            }

            using FileStream fileLock = await LockAsync(filePath + ".lock", time, ct).ConfigureAwait(false);
            if (ReadFile() is { } fromOther && Usable(fromOther, time, renewBefore, rejected))
            {
                return Store(fromOther); // another process renewed it while we waited for the lock
            }

            CachedToken issued = await IssueAsync(issue, ct).ConfigureAwait(false);
            if (issued.Value == current?.Value)
            {
                issued = issued with { RenewOnlyAtExpiry = true };
            }

            WriteFile(issued);
            return Store(issued);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the token (after a revoke): memory and file.</summary>
    public void Forget()
    {
        Volatile.Write(ref _current, null);
        if (filePath is not null)
        {
            try
            {
                File.Delete(filePath);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The file name for (REST endpoint, app key): a hash, so the app key is not in the name.</summary>
    public static string FileName(string restAuthority, string appKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(restAuthority + "\n" + appKey)))[..32] + ".json";

    /// <summary><c>$XDG_CACHE_HOME/kisfeed/tokens</c>, else <c>~/.cache/kisfeed/tokens</c>.</summary>
    public static string DefaultDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "kisfeed", "tokens");
    }

    private static bool Usable(CachedToken? t, TimeProvider time, TimeSpan renewBefore, string? rejected) =>
        t is not null && t.Value != rejected && time.GetUtcNow() < t.ExpiresAt - (t.RenewOnlyAtExpiry ? TimeSpan.Zero : renewBefore);

    private async Task<CachedToken> IssueAsync(Func<CancellationToken, Task<CachedToken>> issue, CancellationToken ct)
    {
        Interlocked.Increment(ref _requested);
        return await issue(ct).ConfigureAwait(false);
    }

    private CachedToken Store(CachedToken t)
    {
        Volatile.Write(ref _current, t);
        return t;
    }

    private CachedToken? ReadFile()
    {
        try
        {
            if (!File.Exists(filePath))
            {
                return null;
            }

            TokenFileDto? dto = JsonSerializer.Deserialize(File.ReadAllText(filePath!), RestJsonContext.Default.TokenFileDto);
            return dto is { AccessToken.Length: > 0 } && dto.Rest == restAuthority
                ? new CachedToken(dto.AccessToken, dto.ExpiresAt, dto.IssuedAt)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // an unreadable cache is no cache: ask KIS
        }
    }

    private void WriteFile(CachedToken t)
    {
        try
        {
            string dir = Path.GetDirectoryName(filePath!)!;
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(dir);
            }
            else
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var dto = new TokenFileDto { AccessToken = t.Value, ExpiresAt = t.ExpiresAt, IssuedAt = t.IssuedAt, Rest = restAuthority, AppKey = Secrets.Redact(appKey) };
            byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(dto, RestJsonContext.Default.TokenFileDto);
            string temp = filePath + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600 from the first byte
            }

            using (var fs = new FileStream(temp, options))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }

            File.Move(temp, filePath!, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not fatal: the token still serves this process; the next process asks KIS again.
        }
    }

    private static async Task<FileStream> LockAsync(string path, TimeProvider time, CancellationToken ct)
    {
        string dir = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        DateTimeOffset giveUp = time.GetUtcNow() + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (time.GetUtcNow() < giveUp)
            {
                // Another process holds the lock while it asks KIS; its token will be in the file.
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
            }
        }
    }
}
