using System.Text;

using KisFeed.Protocol;
using KisFeed.Session;

namespace KisFeed.Tests.Session;

/// <summary>
/// A refused subscribe becomes one <see cref="KisApiException"/> whose code and flags tell a caller what to do, and a
/// registration status that says whether it is refused or over the cap.
/// </summary>
public class ControlErrorTests
{
    private static readonly Registration Samsung = new(Venue.Nxt, "005930");

    [Theory]
    [InlineData("9", "OPSP8996", "ALREADY IN USE appkey", true, false, RegistrationState.Refused)]
    [InlineData("1", "OPSP0011", "invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4", false, true, RegistrationState.Refused)]
    [InlineData("1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key", false, false, RegistrationState.Refused)]
    [InlineData("1", "OPSP0008", "MAX SUBSCRIBE OVER", false, false, RegistrationState.OverLimit)]
    public void ARefusalCarriesKisCodeTheRegistrationAndWhatACallerCanDo(string rtCd, string msgCd, string msg1, bool transient, bool credentials, RegistrationState state)
    {
        ControlReply reply = ControlReply.TryParse(Encoding.UTF8.GetBytes($$$"""{"body":{"rt_cd":"{{{rtCd}}}","msg_cd":"{{{msgCd}}}","msg1":"{{{msg1}}}"}}"""))!;
        (KisApiException error, SessionAction action) = ControlErrors.Refusal(reply, Samsung, subscribe: true, canRenewKey: false, restoring: false, t => (t ?? string.Empty).Replace("062f61cb-c756-4b8f-9fab-92113c6fbea4", "062f…(36 chars)", StringComparison.Ordinal));

        Assert.Equal(SessionAction.None, action);
        Assert.Equal(msgCd, error.ErrorCode);
        Assert.Equal(rtCd, error.RtCd);
        Assert.Equal(Samsung, error.Registration);
        Assert.Equal("subscribe H0NXPGM0/005930", error.Operation);
        Assert.Null(error.HttpStatus);
        Assert.Equal(transient, error.IsTransient);
        Assert.Equal(credentials, error.IsCredentialError);
        Assert.DoesNotContain("062f61cb-c756-4b8f-9fab-92113c6fbea4", error.Message, StringComparison.Ordinal);

        RegistrationStatus status = ControlErrors.StatusOf(Samsung, reply, error);
        Assert.Equal(state, status.State);
        Assert.Equal(msgCd, status.ErrorCode);
        Assert.Same(error, status.Error);
        Assert.False(status.IsHeld);
    }

    [Fact]
    public void TheSessionLevelRefusalsSayWhatTheSessionMustDo()
    {
        ControlReply inUse = ControlReply.TryParse("""{"body":{"rt_cd":"9","msg_cd":"OPSP8996","msg1":"ALREADY IN USE appkey"}}"""u8)!;
        ControlReply invalid = ControlReply.TryParse("""{"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval"}}"""u8)!;
        Assert.Equal(SessionAction.WaitForAppKey, ControlErrors.Refusal(inUse, Samsung, true, canRenewKey: true, restoring: true, t => t ?? string.Empty).Action);
        Assert.Equal(SessionAction.RenewApprovalKey, ControlErrors.Refusal(invalid, Samsung, true, canRenewKey: true, restoring: false, t => t ?? string.Empty).Action);
    }
}
