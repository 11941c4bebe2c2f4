<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AmendDialog</name>
    <message>
        <location filename="../replay/amend.py" line="53"/>
        <source>Amend decision #{0}</source>
        <translation>修改决定 #{0}</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="69"/>
        <source>Why the decision changes (kept in the audit log)</source>
        <translation>修改决定的理由（记入审计日志）</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="74"/>
        <source>Original: {0} by {1}, {2}. It stays on record.</source>
        <translation>原决定：{0}，由 {1} 于 {2} 作出。原决定将保留在记录中。</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="82"/>
        <source>New decision</source>
        <translation>新决定</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="83"/>
        <source>Reason codes</source>
        <translation>原因代码</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="84"/>
        <source>Override reason code (an approval the policy refuses)</source>
        <translation>例外理由代码（审批政策拒绝的批准）</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="64"/>
        <source>None</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="85"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="86"/>
        <source>Reason for the amendment</source>
        <translation>修改理由</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="123"/>
        <source>An amendment needs a reason.</source>
        <translation>修改决定必须填写理由。</translation>
    </message>
    <message>
        <location filename="../replay/amend.py" line="126"/>
        <source>Nothing changes: the decision in force is already &apos;{0}&apos; with these reason codes and this note. Change the decision, its reasons or the note, or cancel.</source>
        <translation>没有任何变化：现行决定已经是“{0}”，原因代码和备注也相同。请更改决定、原因或备注，或取消。</translation>
    </message>
</context>
<context>
    <name>ApplicationPanel</name>
    <message>
        <location filename="../application_panel.py" line="50"/>
        <source>Application</source>
        <translation>申请</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="64"/>
        <source>ID photo</source>
        <translation>身份证照片</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="65"/>
        <source>Live face</source>
        <translation>实时人脸</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="71"/>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="72"/>
        <source>ID number</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="73"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="74"/>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="75"/>
        <source>Term</source>
        <translation>期限</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="76"/>
        <source>Purpose</source>
        <translation>用途</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="77"/>
        <source>Applied</source>
        <translation>申请时间</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="108"/>
        <source>No photo</source>
        <translation>无照片</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="121"/>
        <source>{0} months</source>
        <translation>{0} 个月</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="127"/>
        <source>Photo unreadable</source>
        <translation>照片无法读取</translation>
    </message>
    <message>
        <location filename="../application_panel.py" line="136"/>
        <source>{0} ago</source>
        <translation>{0}前</translation>
    </message>
</context>
<context>
    <name>ApprovalConditions</name>
    <message>
        <location filename="../decision.py" line="256"/>
        <source>Approval blocked</source>
        <translation>禁止批准</translation>
    </message>
    <message>
        <location filename="../decision.py" line="258"/>
        <source>Approval only with an override</source>
        <translation>仅可凭例外理由批准</translation>
    </message>
    <message>
        <location filename="../decision.py" line="260"/>
        <source>Warnings</source>
        <translation>警告</translation>
    </message>
</context>
<context>
    <name>AudioOut</name>
    <message>
        <location filename="../replay/player.py" line="226"/>
        <source>No audio output on this workstation: playing without sound.</source>
        <translation>本工作站没有音频输出：无声播放。</translation>
    </message>
    <message>
        <location filename="../replay/player.py" line="240"/>
        <source>The audio output cannot play 48 kHz mono: playing without sound.</source>
        <translation>音频输出不支持 48 kHz 单声道：无声播放。</translation>
    </message>
</context>
<context>
    <name>CallStatusBar</name>
    <message>
        <location filename="../call_status.py" line="85"/>
        <source>Audio: receiving</source>
        <translation>音频：接收中</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="86"/>
        <source>Audio: silent</source>
        <translation>音频：无声</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="87"/>
        <source>Audio: none</source>
        <translation>音频：无</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="88"/>
        <source>Audio: received, no output device</source>
        <translation>音频：已接收，无输出设备</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="97"/>
        <source>Recording stopped: the disk is full. The call goes on; what was recorded is kept.</source>
        <translation>录像已停止：磁盘已满。通话继续；已录制的内容保留。</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="100"/>
        <source>Recording stopped: it could not be written. The call goes on; what was recorded is kept.</source>
        <translation>录像已停止：无法写入。通话继续；已录制的内容保留。</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="104"/>
        <source>● Recording</source>
        <translation>● 录像中</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="106"/>
        <source>This call is recorded for the session&apos;s replay</source>
        <translation>本次通话正在录像，供会话回放</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="123"/>
        <source>Call time; it turns amber after {0} min, longer than a normal review</source>
        <translation>通话时长；超过 {0} 分钟（比一般审核更长）时变为橙色</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="129"/>
        <source>Connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="131"/>
        <source>Connected (reconnect {0})</source>
        <translation>已连接（第 {0} 次重连）</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="135"/>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="139"/>
        <source>Applicant dropped: waiting {0} s for a reconnect</source>
        <translation>申请人已掉线：等待重连，剩余 {0} 秒</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="142"/>
        <source>Applicant dropped: the grace time is over</source>
        <translation>申请人已掉线：等待重连时间已过</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="144"/>
        <source>Call ended</source>
        <translation>通话已结束</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="146"/>
        <source>Call ended: recorded as connection failed</source>
        <translation>通话已结束：已记录为连接失败</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="148"/>
        <source>The applicant hung up: recorded as abandoned</source>
        <translation>申请人已挂断：记录为放弃</translation>
    </message>
    <message>
        <location filename="../call_status.py" line="150"/>
        <source>No call</source>
        <translation>无通话</translation>
    </message>
</context>
<context>
    <name>ConsoleWindow</name>
    <message>
        <location filename="../main_window.py" line="100"/>
        <source>Decision not saved</source>
        <translation>决定未保存</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="118"/>
        <source>Call in progress</source>
        <translation>通话进行中</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="119"/>
        <source>The call with {0} is in progress and no decision is recorded. Close the console? The session ends as abandoned (console closed); the applicant may come back.</source>
        <translation>与 {0} 的通话正在进行，尚未记录决定。要关闭审核台吗？本次会话将以“放弃（审核台已关闭）”结束；申请人可以再来。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="137"/>
        <location filename="../main_window.py" line="384"/>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="206"/>
        <source>Video review console: {0}</source>
        <translation>视频审核台：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="233"/>
        <source>Reviewer: {0}</source>
        <translation>审核员：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="305"/>
        <source>Audio output:</source>
        <translation>音频输出：</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="344"/>
        <source>&amp;Console</source>
        <translation>审核台(&amp;C)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="345"/>
        <source>Take next applicant</source>
        <translation>接入下一位申请人</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="348"/>
        <source>Ask a liveness challenge</source>
        <translation>发起活体验证动作</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="357"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="360"/>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="364"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="369"/>
        <source>&amp;Decision</source>
        <translation>决定(&amp;D)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="383"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="391"/>
        <source>Take the next applicant</source>
        <translation>接入下一位申请人</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="392"/>
        <source>Ask the applicant a liveness challenge, drawn at random</source>
        <translation>随机抽取一个活体验证动作请申请人完成</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="395"/>
        <source>Next / previous question</source>
        <translation>下一题 / 上一题</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="396"/>
        <source>Arrow keys, Space</source>
        <translation>方向键、空格键</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="396"/>
        <source>Choose Yes or No</source>
        <translation>选择“是”或“否”</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="397"/>
        <source>Record the decision (in the decision dialog)</source>
        <translation>记录决定（在决定对话框中）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="398"/>
        <source>This list</source>
        <translation>本列表</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="399"/>
        <source>Sign out (a call in progress is confirmed first)</source>
        <translation>退出登录（进行中的通话需先确认）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="400"/>
        <source>Close the console (a call in progress is confirmed first)</source>
        <translation>关闭审核台（通话中会先确认）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="413"/>
        <source>The console changes to the language chosen when this review ends.</source>
        <translation>本次审核结束后，审核台将切换为所选语言。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="426"/>
        <source>System default</source>
        <translation>系统默认</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="538"/>
        <source>Queue not available: {0}</source>
        <translation>队列不可用：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="548"/>
        <source>Taking the next applicant…</source>
        <translation>正在接入下一位申请人…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="562"/>
        <source>Nobody is waiting.</source>
        <translation>没有人在等候。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="571"/>
        <source>Could not take an applicant: {0}</source>
        <translation>无法接入申请人：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="474"/>
        <location filename="../main_window.py" line="597"/>
        <source>Connecting to {0}…</source>
        <translation>正在连接 {0}…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="101"/>
        <source>A decision is not stored yet. Close anyway? A save under way is finished first; one that failed is not retried from this window.</source>
        <translation>有一个决定尚未存储。仍要关闭吗？正在进行的保存会先完成；保存失败的决定不会再由此窗口重试。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="700"/>
        <source>Could not connect: {0}. Record &apos;Connection failed&apos; or try later.</source>
        <translation>无法连接：{0}。请记录“连接失败”或稍后再试。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="745"/>
        <source>face matching is not running in this call</source>
        <translation>本次通话未进行人脸比对</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="757"/>
        <source>No challenge was asked: {0}</source>
        <translation>未能发起验证动作：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="775"/>
        <source>The applicant dropped: waiting for a reconnect</source>
        <translation>申请人已掉线：等待重连</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="777"/>
        <source>The call has ended. Record the decision.</source>
        <translation>通话已结束。请记录决定。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="782"/>
        <source>The applicant did not come back within the grace time: the session was recorded as &apos;{0}&apos;. Your answers so far are saved with the session; no other decision can be recorded.</source>
        <translation>申请人未在等待时间内重新连接：本次会话已记录为“{0}”。已填写的回答已随会话保存；不能再记录其他决定。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="791"/>
        <source>The applicant hung up: the session was recorded as &apos;{0}&apos;. Your answers so far are saved with the session; no decision can be recorded. The applicant may open their link again.</source>
        <translation>申请人已挂断：本次会话已记录为“{0}”。目前的回答已随会话保存；不能再记录决定。申请人可以再次打开其链接。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="794"/>
        <source>The applicant hung up.</source>
        <translation>申请人已挂断。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="874"/>
        <source>The face attempt was not counted: {0}</source>
        <translation>本次人脸识别尝试未被计入：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="886"/>
        <source>An answer is not saved yet ({0}); it is saved with the decision.</source>
        <translation>有回答尚未保存（{0}）；它将随决定一起保存。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="982"/>
        <location filename="../main_window.py" line="1015"/>
        <source>Not recorded: {0}</source>
        <translation>未记录：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="992"/>
        <source>abandoned: the applicant hung up</source>
        <translation>放弃：申请人挂断</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="1001"/>
        <source>Not recorded: the session was already recorded as &apos;{0}&apos;.</source>
        <translation>未记录：本次会话已记录为“{0}”。</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="1038"/>
        <source>Not recorded: correct the entries marked invalid first: {0}</source>
        <translation>未记录：请先更正标为无效的输入：{0}</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="1079"/>
        <source>The decision ({0}) was not recorded: {1}. The review is closed.</source>
        <translation>决定（{0}）未被记录：{1}。本次审核已关闭。</translation>
    </message>
</context>
<context>
    <name>DecisionDialog</name>
    <message>
        <location filename="../decision.py" line="290"/>
        <source>Record decision: {0}</source>
        <translation>记录决定：{0}</translation>
    </message>
    <message>
        <location filename="../decision.py" line="294"/>
        <source>{0}: the application of {1}</source>
        <translation>{0}：{1} 的申请</translation>
    </message>
    <message>
        <location filename="../decision.py" line="301"/>
        <source>Reason codes (at least one):</source>
        <translation>原因代码（至少选一项）：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="315"/>
        <source>Conditions of this review:</source>
        <translation>本次审核的情况：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="329"/>
        <source>Approval is normally refused here:</source>
        <translation>此情况下通常不予批准：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="339"/>
        <source>Override reason code:</source>
        <translation>例外理由代码：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="340"/>
        <source>Choose…</source>
        <translation>请选择…</translation>
    </message>
    <message>
        <location filename="../decision.py" line="347"/>
        <source>Reason to approve anyway, at least a sentence (recorded; a supervisor is told):</source>
        <translation>仍然批准的理由，至少一句话（将被记录，并通知主管）：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="353"/>
        <source>Note (optional):</source>
        <translation>备注（可选）：</translation>
    </message>
    <message>
        <location filename="../decision.py" line="360"/>
        <source>What will be recorded</source>
        <translation>将被记录的内容</translation>
    </message>
    <message>
        <location filename="../decision.py" line="375"/>
        <source>Record decision</source>
        <translation>记录决定</translation>
    </message>
    <message>
        <location filename="../decision.py" line="439"/>
        <source>Required answers missing: {0}</source>
        <translation>缺少必答项：{0}</translation>
    </message>
    <message>
        <location filename="../decision.py" line="444"/>
        <source>The face has not matched the ID photo</source>
        <translation>人脸与身份证照片未匹配</translation>
    </message>
    <message>
        <location filename="../decision.py" line="470"/>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <location filename="../decision.py" line="474"/>
        <source>Reasons</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../decision.py" line="475"/>
        <source>(none chosen)</source>
        <translation>（未选择）</translation>
    </message>
    <message>
        <location filename="../decision.py" line="479"/>
        <source>Approved despite</source>
        <translation>批准但存在</translation>
    </message>
    <message>
        <location filename="../decision.py" line="481"/>
        <source>Reason code</source>
        <translation>理由代码</translation>
    </message>
    <message>
        <location filename="../decision.py" line="482"/>
        <source>Because</source>
        <translation>理由</translation>
    </message>
    <message>
        <location filename="../decision.py" line="483"/>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../decision.py" line="484"/>
        <source>Face</source>
        <translation>人脸</translation>
    </message>
    <message>
        <location filename="../decision.py" line="487"/>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../decision.py" line="488"/>
        <source>{0} given, {1} required missing</source>
        <translation>已回答 {0} 项，缺少必答 {1} 项</translation>
    </message>
    <message>
        <location filename="../decision.py" line="494"/>
        <source>Red flags</source>
        <translation>风险提示</translation>
    </message>
</context>
<context>
    <name>Decisions</name>
    <message>
        <location filename="../decision.py" line="34"/>
        <source>Approve</source>
        <translation>批准</translation>
    </message>
    <message>
        <location filename="../decision.py" line="35"/>
        <source>Reject</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location filename="../decision.py" line="36"/>
        <source>Verify later</source>
        <translation>稍后核实</translation>
    </message>
    <message>
        <location filename="../decision.py" line="37"/>
        <source>Connection failed</source>
        <translation>连接失败</translation>
    </message>
    <message>
        <location filename="../decision.py" line="43"/>
        <source>Identity does not match</source>
        <translation>身份不符</translation>
    </message>
    <message>
        <location filename="../decision.py" line="44"/>
        <source>Face match failed</source>
        <translation>人脸比对未通过</translation>
    </message>
    <message>
        <location filename="../decision.py" line="45"/>
        <source>Liveness check failed</source>
        <translation>活体检测未通过</translation>
    </message>
    <message>
        <location filename="../decision.py" line="46"/>
        <source>Third party present</source>
        <translation>有第三方在场</translation>
    </message>
    <message>
        <location filename="../decision.py" line="47"/>
        <source>Insufficient repayment ability</source>
        <translation>还款能力不足</translation>
    </message>
    <message>
        <location filename="../decision.py" line="50"/>
        <source>Fraud suspected</source>
        <translation>疑似欺诈</translation>
    </message>
    <message>
        <location filename="../decision.py" line="51"/>
        <source>Applicant uncooperative</source>
        <translation>申请人不配合</translation>
    </message>
    <message>
        <location filename="../decision.py" line="54"/>
        <source>Other (explain in the note)</source>
        <translation>其他（请在备注中说明）</translation>
    </message>
    <message>
        <location filename="../decision.py" line="63"/>
        <source>matched</source>
        <translation>已匹配</translation>
    </message>
    <message>
        <location filename="../decision.py" line="65"/>
        <source>not matched</source>
        <translation>未匹配</translation>
    </message>
    <message>
        <location filename="../decision.py" line="68"/>
        <location filename="../replay/texts.py" line="161"/>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <location filename="../decision.py" line="69"/>
        <location filename="../replay/texts.py" line="162"/>
        <source>failed</source>
        <translation>未通过</translation>
    </message>
    <message>
        <location filename="../decision.py" line="70"/>
        <location filename="../replay/texts.py" line="159"/>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <location filename="../decision.py" line="71"/>
        <source>{0}; best similarity {1}, last {2}; liveness {3}; attempts {4}</source>
        <translation>{0}；最高相似度 {1}，最近 {2}；活体 {3}；尝试 {4} 次</translation>
    </message>
    <message>
        <location filename="../decision.py" line="84"/>
        <source>A rejection needs at least one reason code.</source>
        <translation>拒绝至少需要一个原因代码。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="86"/>
        <source>The reason &apos;Other&apos; needs the note to explain it.</source>
        <translation>选择“其他”原因时，须在备注中说明。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="88"/>
        <source>Approval refused: give the reason to approve anyway.</source>
        <translation>不予批准：如仍要批准，请填写理由。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="97"/>
        <source>blocks approval</source>
        <translation>禁止批准</translation>
    </message>
    <message>
        <location filename="../decision.py" line="98"/>
        <source>approval needs an override: a reason code and a sentence; a supervisor checks it</source>
        <translation>批准需要例外理由：理由代码和一句说明；由主管复核</translation>
    </message>
    <message>
        <location filename="../decision.py" line="101"/>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../decision.py" line="113"/>
        <source>; and {0} more</source>
        <translation>；另有 {0} 项</translation>
    </message>
    <message>
        <location filename="../decision.py" line="128"/>
        <source>Approval is not possible: {0}.</source>
        <translation>无法批准：{0}。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="133"/>
        <source>Approval refused: choose an override reason code.</source>
        <translation>批准被拒绝：请选择例外理由代码。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="136"/>
        <source>Approval refused: explain the override in at least a sentence ({0} words, or {1} Chinese characters).</source>
        <translation>批准被拒绝：请至少用一句话说明例外理由（{0} 个英文单词或 {1} 个汉字）。</translation>
    </message>
</context>
<context>
    <name>Durations</name>
    <message>
        <location filename="../queue_panel.py" line="17"/>
        <source>{0} s</source>
        <translation>{0} 秒</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="20"/>
        <source>{0} min {1} s</source>
        <translation>{0} 分 {1} 秒</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="23"/>
        <source>{0} h {1} min</source>
        <translation>{0} 小时 {1} 分</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="24"/>
        <source>{0} days</source>
        <translation>{0} 天</translation>
    </message>
</context>
<context>
    <name>FaceChallenges</name>
    <message>
        <location filename="../face_panel.py" line="62"/>
        <source>turn the head left</source>
        <translation>向左转头</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="63"/>
        <source>turn the head right</source>
        <translation>向右转头</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="64"/>
        <source>blink twice</source>
        <translation>眨眼两次</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="65"/>
        <source>open the mouth and hold it</source>
        <translation>张嘴并保持</translation>
    </message>
</context>
<context>
    <name>FaceFlags</name>
    <message>
        <location filename="../face_panel.py" line="28"/>
        <source>No face in view</source>
        <translation>画面中没有人脸</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="29"/>
        <source>More than one face</source>
        <translation>画面中不止一张人脸</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="30"/>
        <source>Face too small: ask to come closer</source>
        <translation>人脸太小：请申请人靠近</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="31"/>
        <source>Too dark</source>
        <translation>光线太暗</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="32"/>
        <source>Too blurred: ask to hold still</source>
        <translation>画面模糊：请申请人保持不动</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="33"/>
        <source>Face partly covered</source>
        <translation>人脸被部分遮挡</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="34"/>
        <source>Virtual camera: the video may be injected</source>
        <translation>虚拟摄像头：视频可能被注入</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="37"/>
        <source>Camera changed or unlike a phone&apos;s: the video may be injected</source>
        <translation>摄像头已更换或不像手机摄像头：视频可能被注入</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="43"/>
        <source>a virtual camera: {0}</source>
        <translation>虚拟摄像头：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="44"/>
        <source>a frame rate no phone camera has: {0}</source>
        <translation>手机摄像头不会有的帧率：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="45"/>
        <source>a picture size no phone camera has: {0}</source>
        <translation>手机摄像头不会有的画面尺寸：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="48"/>
        <source>the camera changed during the call: {0}</source>
        <translation>通话中更换了摄像头：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="51"/>
        <source>the page sent camera reports the bank&apos;s page never sends ({0})</source>
        <translation>页面发送了银行页面从不发送的摄像头报告（{0}）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="91"/>
        <source>virtual camera ({0})</source>
        <translation>虚拟摄像头（{0}）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="92"/>
        <source>a virtual camera</source>
        <translation>虚拟摄像头</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="93"/>
        <source>frame rate {0}</source>
        <translation>帧率 {0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="94"/>
        <source>picture size {0}</source>
        <translation>画面尺寸 {0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="95"/>
        <source>changed during the call</source>
        <translation>通话中被更换</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="96"/>
        <source>reports altered</source>
        <translation>报告被篡改</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="54"/>
        <source>the page did not report its camera (the bank&apos;s page always does)</source>
        <translation>页面没有报告其摄像头（银行的页面总会报告）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="97"/>
        <source>not reported by the page</source>
        <translation>页面未报告</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="120"/>
        <source>⚠ Camera: {0}</source>
        <translation>⚠ 摄像头：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="110"/>
        <source>unnamed</source>
        <translation>未命名</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="121"/>
        <source>⚠ Camera {0}: {1}</source>
        <translation>⚠ 摄像头 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="138"/>
        <source>The video may be injected: approval is blocked.</source>
        <translation>视频可能被注入：禁止批准。</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="118"/>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="125"/>
        <source>Camera: {0}</source>
        <translation>摄像头：{0}</translation>
    </message>
</context>
<context>
    <name>FacePanel</name>
    <message>
        <location filename="../face_panel.py" line="213"/>
        <source>Face match against the ID photo</source>
        <translation>与身份证照片的人脸比对</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="227"/>
        <source>Check the face again</source>
        <translation>重新进行人脸比对</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="233"/>
        <source>New challenge</source>
        <translation>新验证动作</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="235"/>
        <source>The applicant is asked to do something chosen at random (turn, blink, open the mouth)</source>
        <translation>请申请人完成一个随机抽取的动作（转头、眨眼、张嘴）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="239"/>
        <source>Similarity out of 100 (a match from 50), last 30 s</source>
        <translation>相似度（满分 100，50 起为匹配），最近 30 秒</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="263"/>
        <source>No call</source>
        <translation>无通话</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="266"/>
        <source>Liveness: –</source>
        <translation>活体：–</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="283"/>
        <source>Match</source>
        <translation>匹配</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="285"/>
        <source>Checking…</source>
        <translation>正在比对…</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="287"/>
        <source>No face found</source>
        <translation>未检测到人脸</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="289"/>
        <source>No match</source>
        <translation>不匹配</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="291"/>
        <source>No face found: attempts used up</source>
        <translation>未检测到人脸：尝试次数已用完</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="293"/>
        <source>No match: attempts used up</source>
        <translation>不匹配：次数已用完</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="295"/>
        <source>Waiting for the face</source>
        <translation>等待人脸</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="302"/>
        <source>Picture quality good</source>
        <translation>画面质量良好</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="305"/>
        <source>Liveness: passed (blinks, head movement)</source>
        <translation>活体：通过（眨眼、头部动作）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="306"/>
        <source>Liveness: failed: possibly a photo or a replayed video</source>
        <translation>活体：未通过：可能是照片或回放视频</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="307"/>
        <source>Liveness: checking…</source>
        <translation>活体：检测中…</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="310"/>
        <source>Liveness: passed, after failing earlier in the call</source>
        <translation>活体检测：通过（通话中曾未通过）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="313"/>
        <source>Attempt {0} of {1}</source>
        <translation>第 {0} 次，共 {1} 次</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="329"/>
        <source>Drawing a challenge…</source>
        <translation>正在抽取验证动作…</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="331"/>
        <source>Challenge asked: {0}…</source>
        <translation>已发起验证动作：{0}…</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="334"/>
        <source>No challenge asked yet</source>
        <translation>尚未发起验证动作</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="337"/>
        <source>Challenge: {0} ({1} s left)</source>
        <translation>验证动作：{0}（剩余 {1} 秒）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="340"/>
        <source>Challenge passed: {0}</source>
        <translation>验证动作通过：{0}</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="344"/>
        <source>Challenge not judged: {0} (this workstation fell behind the video; not counted, ask again)</source>
        <translation>验证动作无法判定：{0}（本工作站跟不上视频；不计为失败的人脸识别，请重新发起验证动作）</translation>
    </message>
    <message>
        <location filename="../face_panel.py" line="349"/>
        <source>Challenge failed: {0} (a failed face attempt)</source>
        <translation>验证动作未通过：{0}（计为一次失败的人脸识别）</translation>
    </message>
</context>
<context>
    <name>FiguresPanel</name>
    <message>
        <location filename="../questionnaire_form.py" line="439"/>
        <source>Repayment figures and red flags</source>
        <translation>还款测算与风险提示</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="452"/>
        <source>Monthly instalment</source>
        <translation>月供</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="453"/>
        <source>Monthly income</source>
        <translation>月收入</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="454"/>
        <source>Debt-to-income after this loan</source>
        <translation>本笔贷款后的负债收入比</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="485"/>
        <source>not shown: {0} is not valid</source>
        <translation>不显示：{0} 无效</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="498"/>
        <source>Required answers missing: {0}</source>
        <translation>缺少必答项：{0}</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="500"/>
        <source>All required answers given</source>
        <translation>必答项已全部回答</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="507"/>
        <source>Red flags</source>
        <translation>风险提示</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="513"/>
        <source>No red flags</source>
        <translation>无风险提示</translation>
    </message>
</context>
<context>
    <name>QuestionnaireForm</name>
    <message>
        <location filename="../questionnaire_form.py" line="123"/>
        <source>Required before approval</source>
        <translation>批准前必须回答</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="209"/>
        <source>{0} (optional)</source>
        <translation>{0}（可选）</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="218"/>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="218"/>
        <source>No</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="232"/>
        <source>Choose…</source>
        <translation>请选择…</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="240"/>
        <source>amount, e.g. 8500.00 or 1.2万</source>
        <translation>金额，例如 8500.00 或 1.2万</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="260"/>
        <source>Enter an amount of money, e.g. 8500.00</source>
        <translation>请输入金额，例如 8500.00</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="261"/>
        <source>Not valid: an amount cannot be negative</source>
        <translation>无效：金额不能为负数</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="262"/>
        <source>Not valid: write the amount in full digits, e.g. 1000000000</source>
        <translation>无效：请用完整数字填写金额，例如 1000000000</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="264"/>
        <source>Not valid: write the amount in digits, e.g. 12000 or 1.2万, not in Chinese numerals</source>
        <translation>无效：请用阿拉伯数字填写金额，例如 12000 或 1.2万，不要用中文数字</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="266"/>
        <source>Not valid: thousands separators group three digits, e.g. 12,000</source>
        <translation>无效：千位分隔符应每三位一组，例如 12,000</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="267"/>
        <source>Not valid: at most two decimals</source>
        <translation>无效：最多两位小数</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="269"/>
        <source>Not valid: only digits, one decimal point, thousands separators and 千/万/亿</source>
        <translation>无效：只能包含数字、一个小数点、千位分隔符以及 千/万/亿</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="281"/>
        <source>At least {0}</source>
        <translation>至少 {0}</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="283"/>
        <source>At most {0}</source>
        <translation>至多 {0}</translation>
    </message>
    <message>
        <location filename="../questionnaire_form.py" line="290"/>
        <source>= {0}</source>
        <translation>= {0}</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <location filename="../queue_panel.py" line="35"/>
        <source>Take next applicant</source>
        <translation>接入下一位申请人</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="58"/>
        <source>Queue: –</source>
        <translation>队列：–</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="61"/>
        <source>Waiting: {0}</source>
        <translation>等候：{0} 人</translation>
    </message>
    <message>
        <location filename="../queue_panel.py" line="63"/>
        <source>longest wait {0}</source>
        <translation>最长等候 {0}</translation>
    </message>
</context>
<context>
    <name>RecordingView</name>
    <message>
        <location filename="../replay/player.py" line="167"/>
        <source>No session open.</source>
        <translation>尚未打开会话。</translation>
    </message>
</context>
<context>
    <name>ReplayTexts</name>
    <message>
        <location filename="../replay/browser.py" line="86"/>
        <location filename="../replay/texts.py" line="93"/>
        <location filename="../replay/window.py" line="740"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="26"/>
        <source>waiting</source>
        <translation>等候中</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="27"/>
        <source>connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="28"/>
        <source>verifying</source>
        <translation>核验中</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="29"/>
        <source>questioning</source>
        <translation>问询中</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="30"/>
        <source>decided</source>
        <translation>已决定</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="31"/>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="32"/>
        <source>abandoned</source>
        <translation>已中断</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="36"/>
        <source>hung up before a decision</source>
        <translation>作出决定前已挂断</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="37"/>
        <source>the console&apos;s connection was lost</source>
        <translation>审核台连接中断</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="38"/>
        <source>the console stopped mid-call</source>
        <translation>审核台在通话中停止</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="39"/>
        <source>the applicant hung up</source>
        <translation>申请人挂断</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="42"/>
        <source>connection dropped</source>
        <translation>连接中断</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="43"/>
        <source>connection restored</source>
        <translation>连接恢复</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="44"/>
        <source>connection failed</source>
        <translation>连接失败</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="45"/>
        <source>more than one face</source>
        <translation>不止一张人脸</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="46"/>
        <source>liveness failed</source>
        <translation>活体检测未通过</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="47"/>
        <source>liveness passed after failing</source>
        <translation>活体检测在未通过后通过</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="50"/>
        <source>face flag</source>
        <translation>人脸提示</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="51"/>
        <source>virtual camera</source>
        <translation>虚拟摄像头</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="52"/>
        <source>video injection suspected</source>
        <translation>疑似视频注入</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="55"/>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="56"/>
        <source>recording warning</source>
        <translation>录像警告</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="57"/>
        <source>challenge asked</source>
        <translation>发起验证动作</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="58"/>
        <source>challenge passed</source>
        <translation>验证动作通过</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="59"/>
        <source>challenge failed</source>
        <translation>验证动作未通过</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="60"/>
        <source>challenge not judged</source>
        <translation>验证动作无法判定</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="63"/>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="64"/>
        <source>failed: a failed face attempt</source>
        <translation>未通过：计为一次失败的人脸识别</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="65"/>
        <source>not judged: this workstation fell behind the video (not a failed attempt)</source>
        <translation>无法判定：本工作站跟不上视频（不计为失败的人脸识别）</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="68"/>
        <source>not settled: the call ended</source>
        <translation>未完成：通话已结束</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="109"/>
        <location filename="../replay/texts.py" line="137"/>
        <location filename="../replay/texts.py" line="141"/>
        <location filename="../replay/texts.py" line="144"/>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="167"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="168"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="197"/>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="225"/>
        <source>not recorded</source>
        <translation>未记录</translation>
    </message>
    <message>
        <location filename="../replay/texts.py" line="227"/>
        <source>given {0}, text version {1} ({2})</source>
        <translation>{0} 同意，文本版本 {1}（{2}）</translation>
    </message>
</context>
<context>
    <name>ReplayWindow</name>
    <message>
        <location filename="../replay/window.py" line="93"/>
        <source>Session replay — video audit console</source>
        <translation>会话回放 — 视频审核台</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="130"/>
        <source>Choose a session on the left.</source>
        <translation>请在左侧选择一个会话。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="138"/>
        <location filename="../replay/window.py" line="636"/>
        <source>▶ Play</source>
        <translation>▶ 播放</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="140"/>
        <source>Play or pause the recording</source>
        <translation>播放或暂停录像</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="141"/>
        <source>◀| Frame</source>
        <translation>◀| 上一帧</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="142"/>
        <source>One frame back</source>
        <translation>后退一帧</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="143"/>
        <source>Frame |▶</source>
        <translation>下一帧 |▶</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="144"/>
        <source>One frame forward</source>
        <translation>前进一帧</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="149"/>
        <source>Playback speed (sound plays at 1× only)</source>
        <translation>播放速度（仅 1× 时有声音）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="152"/>
        <location filename="../replay/window.py" line="730"/>
        <source>{0} / {1} s</source>
        <translation>{0} / {1} 秒</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="166"/>
        <location filename="../replay/window.py" line="176"/>
        <location filename="../replay/window.py" line="177"/>
        <source>t (s)</source>
        <translation>时间（秒）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="176"/>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="166"/>
        <location filename="../replay/window.py" line="176"/>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="176"/>
        <source>By</source>
        <translation>录入人</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="177"/>
        <source>What</source>
        <translation>事件</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="178"/>
        <source>Seq</source>
        <translation>序号</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="178"/>
        <source>At (UTC)</source>
        <translation>时间（UTC）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="178"/>
        <source>Who: what</source>
        <translation>操作人：操作</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="178"/>
        <source>Hash</source>
        <translation>哈希</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="187"/>
        <source>Amend decision…</source>
        <translation>修改决定…</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="194"/>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="196"/>
        <source>Answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="197"/>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="198"/>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="200"/>
        <source>Export PDF…</source>
        <translation>导出 PDF…</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="384"/>
        <source>Encrypted photos and recordings cannot be opened: {0}</source>
        <translation>无法打开加密的照片和录像：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="396"/>
        <source>The search failed: {0}</source>
        <translation>查询失败：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="403"/>
        <source>Opening session {0}…</source>
        <translation>正在打开会话 {0}…</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="409"/>
        <source>Session {0} cannot be opened: {1}</source>
        <translation>会话 {0} 无法打开：{1}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="445"/>
        <source>Session {0} · {1} · {2} / {3} months · reviewer {4} · {5} · {6}</source>
        <translation>会话 {0} · {1} · {2} / {3} 个月 · 审核员 {4} · {5} · {6}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="457"/>
        <source>Consent: {0}</source>
        <translation>同意声明：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="425"/>
        <source>This session has no recording.</source>
        <translation>此会话没有录像。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="166"/>
        <source>#</source>
        <translation>序号</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="166"/>
        <source>Question asked</source>
        <translation>所问问题</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="195"/>
        <source>Questions asked</source>
        <translation>所问问题</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="267"/>
        <source>&amp;Replay</source>
        <translation>回放(&amp;R)</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="268"/>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="271"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="287"/>
        <source>The window changes to the language chosen once the report is saved.</source>
        <translation>报告保存后，窗口将切换到所选语言。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="429"/>
        <source>Opening the recording…</source>
        <translation>正在打开录像…</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="437"/>
        <source>{0} (amended)</source>
        <translation>{0}（已修改）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="439"/>
        <source>awaiting its four-eyes check</source>
        <translation>等待双人复核</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="440"/>
        <source>four-eyes check confirmed</source>
        <translation>双人复核已确认</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="441"/>
        <source>sent back by the four-eyes check</source>
        <translation>双人复核已退回</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="478"/>
        <source>not answered</source>
        <translation>未回答</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="482"/>
        <source>Not recorded: the session is from before questions were drawn.</source>
        <translation>未记录：该会话早于抽题功能。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="513"/>
        <source>hash {0}
previous {1}</source>
        <translation>哈希 {0}
前一哈希 {1}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="525"/>
        <source>Only a supervisor may amend a decision.</source>
        <translation>只有主管可以修改决定。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="529"/>
        <source>The decision awaits its four-eyes check: a checker confirms it or sends it back in the checks queue; it can be amended after that.</source>
        <translation>该决定正在等待双人复核：复核人在复核队列中确认或退回后方可修改。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="538"/>
        <source>No decision was recorded.</source>
        <translation>未记录任何决定。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="543"/>
        <source>Original decision #{0}</source>
        <translation>原决定 #{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="545"/>
        <source>Amendment of #{0} #{1}</source>
        <translation>对 #{0} 的修改 #{1}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="547"/>
        <source>(in force)</source>
        <translation>（现行有效）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="552"/>
        <source>Reasons: {0}</source>
        <translation>原因：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="554"/>
        <source>Note: {0}</source>
        <translation>备注：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="557"/>
        <source>Reason for the amendment: {0}</source>
        <translation>修改理由：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="559"/>
        <source>Override reason: {0}</source>
        <translation>例外批准理由：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="562"/>
        <source>Approved against the approval policy: {0}</source>
        <translation>违反审批政策批准：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="569"/>
        <source>by {0}, {1} at t = {2} s</source>
        <translation>{0}，{1}，录像时间 t = {2} 秒</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="573"/>
        <source>by {0}, {1}</source>
        <translation>{0}，{1}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="578"/>
        <source>Face panel at the decision: {0}</source>
        <translation>作出决定时的人脸比对：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="605"/>
        <source>The recording cannot be read: {0}</source>
        <translation>录像无法读取：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="629"/>
        <source>❚❚ Pause</source>
        <translation>❚❚ 暂停</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="644"/>
        <source>Sound off at {0}×.</source>
        <translation>{0}× 速度下无声音。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="706"/>
        <source>No video: the applicant was disconnected (leg {0} → leg {1}).</source>
        <translation>无视频：申请人连接中断（第 {0} 段 → 第 {1} 段）。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="711"/>
        <source>End of the recording (the recording stopped here: the console closed).</source>
        <translation>录像结束（录像在此中止：审核台已关闭）。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="712"/>
        <source>End of the recording.</source>
        <translation>录像结束。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="713"/>
        <source>No video at this moment.</source>
        <translation>此时刻没有视频。</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="733"/>
        <source>t = {0} s</source>
        <translation>t = {0} 秒</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="733"/>
        <source>leg {0}</source>
        <translation>第 {0} 段</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="736"/>
        <source>match</source>
        <translation>匹配</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="736"/>
        <source>no match</source>
        <translation>不匹配</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="737"/>
        <source>similarity {0} ({1})</source>
        <translation>相似度 {0}（{1}）</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="738"/>
        <source>faces {0}</source>
        <translation>人脸数 {0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="743"/>
        <source>flags: {0}</source>
        <translation>提示：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="745"/>
        <source>liveness {0}</source>
        <translation>活体 {0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="751"/>
        <source>This part of the recording cannot be shown: {0}</source>
        <translation>这段录像无法显示：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="795"/>
        <source>Amendment not saved</source>
        <translation>修改未保存</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="803"/>
        <source>Export the session report</source>
        <translation>导出会话报告</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="805"/>
        <source>PDF files (*.pdf)</source>
        <translation>PDF 文件 (*.pdf)</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="815"/>
        <source>Look in:</source>
        <translation>查找范围：</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="816"/>
        <source>Files of type:</source>
        <translation>文件类型：</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="849"/>
        <source>Making the report…</source>
        <translation>正在生成报告…</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="338"/>
        <location filename="../replay/window.py" line="864"/>
        <source>Saved {0}</source>
        <translation>已保存 {0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="870"/>
        <source>The report could not be made: {0}</source>
        <translation>报告无法生成：{0}</translation>
    </message>
    <message>
        <location filename="../replay/window.py" line="881"/>
        <source>Making the report: {0}…</source>
        <translation>正在生成报告：{0}…</translation>
    </message>
</context>
<context>
    <name>SaveBanner</name>
    <message>
        <location filename="../decision.py" line="539"/>
        <source>Retry saving</source>
        <translation>重试保存</translation>
    </message>
    <message>
        <location filename="../decision.py" line="541"/>
        <source>Close this review</source>
        <translation>关闭本次审核</translation>
    </message>
    <message>
        <location filename="../decision.py" line="581"/>
        <source>Saving the decision ({0})…</source>
        <translation>正在保存决定（{0}）…</translation>
    </message>
    <message>
        <location filename="../decision.py" line="590"/>
        <source>Decision recorded: {0} for {1}. Ready for the next applicant.</source>
        <translation>决定已记录：{1}，{0}。可以接入下一位申请人。</translation>
    </message>
    <message>
        <location filename="../decision.py" line="601"/>
        <source>The decision ({0}) could not be saved: {1}. It stays here until it is saved.</source>
        <translation>决定（{0}）未能保存：{1}。在保存成功之前它会一直保留在这里。</translation>
    </message>
</context>
<context>
    <name>SendBackDialog</name>
    <message>
        <location filename="../supervisor_window.py" line="155"/>
        <source>Send back</source>
        <translation>退回</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="157"/>
        <source>Session {0}: {1}</source>
        <translation>会话 {0}：{1}</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="159"/>
        <source>Reason (required)</source>
        <translation>原因（必填）</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="161"/>
        <source>Reopen: a new video review within the application&apos;s window</source>
        <translation>重新开放：在申请期限内重新进行视频审核</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="162"/>
        <source>Reject the application</source>
        <translation>拒绝该申请</translation>
    </message>
</context>
<context>
    <name>SessionBrowser</name>
    <message>
        <location filename="../replay/browser.py" line="45"/>
        <source>Started</source>
        <translation>开始时间</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="46"/>
        <source>Applicant</source>
        <translation>申请人</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="47"/>
        <source>Reviewer</source>
        <translation>审核员</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="48"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="49"/>
        <source>Low</source>
        <translation>最低</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="50"/>
        <source>Flags</source>
        <translation>提示</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="53"/>
        <source>2+ faces</source>
        <translation>多人</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="54"/>
        <source>liveness</source>
        <translation>活体</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="55"/>
        <source>dropped</source>
        <translation>掉线</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="56"/>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="57"/>
        <source>override</source>
        <translation>越权批准</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="60"/>
        <source>Newest first</source>
        <translation>最新优先</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="61"/>
        <source>Oldest first</source>
        <translation>最早优先</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="65"/>
        <source>Lowest similarity first</source>
        <translation>相似度最低优先</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="70"/>
        <source>Longest first</source>
        <translation>时长最长优先</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="75"/>
        <source>Applicant A-Z</source>
        <translation>申请人 A-Z</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="80"/>
        <source>Reviewer A-Z</source>
        <translation>审核员 A-Z</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="153"/>
        <source>Find sessions</source>
        <translation>查找会话</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="162"/>
        <source>Any reviewer</source>
        <translation>所有审核员</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="164"/>
        <source>Any decision</source>
        <translation>所有决定</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="168"/>
        <source>Ended without a decision</source>
        <translation>未作决定即结束</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="170"/>
        <source>Any reason</source>
        <translation>所有原因</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="175"/>
        <source>any</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="176"/>
        <source>below </source>
        <translation>低于 </translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="177"/>
        <source>Sessions whose lowest face similarity is below this value</source>
        <translation>最低人脸相似度低于此值的会话</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="179"/>
        <source>More than one face</source>
        <translation>不止一张人脸</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="180"/>
        <source>Liveness failed</source>
        <translation>活体检测未通过</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="181"/>
        <source>Dropped connection</source>
        <translation>连接中断</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="182"/>
        <source>Virtual camera or injection suspected</source>
        <translation>虚拟摄像头或疑似注入</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="183"/>
        <source>Approved with override</source>
        <translation>越权批准</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="186"/>
        <source>Approvals that overrode a rule of the approval policy</source>
        <translation>越过审批政策规则的批准</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="188"/>
        <source>Amended only</source>
        <translation>仅已修改</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="197"/>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="199"/>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="204"/>
        <source>Lowest similarity</source>
        <translation>最低相似度</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="212"/>
        <source>Sort</source>
        <translation>排序</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="231"/>
        <source>◀ Previous</source>
        <translation>◀ 上一页</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="232"/>
        <source>Next ▶</source>
        <translation>下一页 ▶</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="233"/>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="335"/>
        <source>Searching…</source>
        <translation>正在查询…</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="347"/>
        <source>1 session · page {0} of {1} · {2} ms</source>
        <translation>1 个会话 · 第 {0} 页，共 {1} 页 · {2} 毫秒</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="349"/>
        <source>{0} sessions · page {1} of {2} · {3} ms</source>
        <translation>{0} 个会话 · 第 {1} 页，共 {2} 页 · {3} 毫秒</translation>
    </message>
</context>
<context>
    <name>SessionReport</name>
    <message>
        <location filename="../replay/report.py" line="116"/>
        <source>lowest match {0}</source>
        <translation>最低相似度 {0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="118"/>
        <source>best match {0}</source>
        <translation>最高相似度 {0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="121"/>
        <source>at the decision</source>
        <translation>作出决定时</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="123"/>
        <source>start of leg {0}</source>
        <translation>第 {0} 段开始</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="152"/>
        <source>key frame at {0} s</source>
        <translation>{0} 秒处的关键帧</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="166"/>
        <source>{0} (t = {1} s, leg {2})</source>
        <translation>{0}（t = {1} 秒，第 {2} 段）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="230"/>
        <source>match threshold {0}</source>
        <translation>匹配阈值 {0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="274"/>
        <source>reasons: {0}</source>
        <translation>原因：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="276"/>
        <source>note: {0}</source>
        <translation>备注：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="279"/>
        <source>amendment reason: {0}</source>
        <translation>修改理由：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="281"/>
        <source>override reason: {0}</source>
        <translation>例外批准理由：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="284"/>
        <source>approved against the approval policy: {0}</source>
        <translation>违反审批政策批准：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="288"/>
        <source>; </source>
        <translation>；</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="312"/>
        <source>starting</source>
        <translation>开始</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="330"/>
        <source>Video review session {0}</source>
        <translation>视频审核会话 {0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="334"/>
        <source>Report made {0}. State: {1}.</source>
        <translation>报告生成于 {0}。状态：{1}。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="339"/>
        <source>Application</source>
        <translation>申请</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="341"/>
        <source>application</source>
        <translation>申请信息</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="342"/>
        <source>leg {0} ended: {1}, recording {2}</source>
        <translation>第 {0} 段结束：{1}，录像 {2}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="344"/>
        <source>Applicant</source>
        <translation>申请人</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="345"/>
        <source>National ID</source>
        <translation>身份证号</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="346"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="348"/>
        <source>Amount / term</source>
        <translation>金额 / 期限</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="349"/>
        <source>{0} for {1} months</source>
        <translation>{0}，{1} 个月</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="351"/>
        <source>Purpose</source>
        <translation>用途</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="352"/>
        <source>Applied</source>
        <translation>申请时间</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="353"/>
        <source>Consent</source>
        <translation>同意声明</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="354"/>
        <source>Reviewer</source>
        <translation>审核员</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="355"/>
        <source>Taken / ended</source>
        <translation>接入 / 结束</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="357"/>
        <source>Legs</source>
        <translation>通话段</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="358"/>
        <source>, </source>
        <translation>、</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="369"/>
        <source>ID photo and key frames</source>
        <translation>身份证照片与关键帧</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="370"/>
        <source>ID photo and the live face</source>
        <translation>身份证照片与实时人脸</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="378"/>
        <source>ID photo on file</source>
        <translation>存档的身份证照片</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="393"/>
        <source>No photo and no recording available.</source>
        <translation>没有照片，也没有录像。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="395"/>
        <source>similarity chart</source>
        <translation>相似度图表</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="404"/>
        <source>Face similarity over the session</source>
        <translation>会话过程中的人脸相似度</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="410"/>
        <source>Liveness challenges</source>
        <translation>活体验证动作</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="414"/>
        <source>Asked (s)</source>
        <translation>发起（秒）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="415"/>
        <source>Challenge</source>
        <translation>动作</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="416"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="417"/>
        <source>Met (s), frame</source>
        <translation>完成（秒），帧</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="434"/>
        <source>No liveness challenge was asked.</source>
        <translation>未发起活体验证动作。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="439"/>
        <source>The applicant&apos;s camera</source>
        <translation>申请人的摄像头</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="444"/>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="452"/>
        <source>The applicant&apos;s page reported no camera.</source>
        <translation>申请人的页面未报告摄像头。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="454"/>
        <source>answers</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="456"/>
        <source>Questions asked, in the order asked</source>
        <translation>所问问题（按提问顺序）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="459"/>
        <source>#</source>
        <translation>序号</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="474"/>
        <source>not answered</source>
        <translation>未回答</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="481"/>
        <source>Answers, as entered</source>
        <translation>回答（按录入内容）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="443"/>
        <location filename="../replay/report.py" line="462"/>
        <location filename="../replay/report.py" line="484"/>
        <source>t (s)</source>
        <translation>t（秒）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="261"/>
        <source>similarity (0-100) over seconds on the recording&apos;s clock   |  orange: connection  purple: face flags  blue: challenges (red: failed, brown: not judged)  green ticks: answers  black: decision</source>
        <translation>相似度（0-100），横轴为录像时间（秒）   |  橙色：连接  紫色：人脸提示  蓝色：验证动作（红色：未通过，棕色：无法判定）  绿色短线：回答  黑色：决定</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="460"/>
        <location filename="../replay/report.py" line="485"/>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="461"/>
        <location filename="../replay/report.py" line="486"/>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="487"/>
        <source>Entered</source>
        <translation>录入</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="501"/>
        <source>No answers were entered.</source>
        <translation>未录入任何回答。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="503"/>
        <source>decision and amendments</source>
        <translation>决定与修改</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="504"/>
        <source>Decision and amendments</source>
        <translation>决定与修改</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="508"/>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="509"/>
        <source>By</source>
        <translation>作出人</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="510"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="511"/>
        <source>Amends</source>
        <translation>修改对象</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="524"/>
        <source>original</source>
        <translation>原决定</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="536"/>
        <source>Face summary on screen at the decision: {0}</source>
        <translation>作出决定时屏幕上的人脸比对摘要：{0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="543"/>
        <source>No decision was recorded.</source>
        <translation>未记录任何决定。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="545"/>
        <source>audit events</source>
        <translation>审计事件</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="546"/>
        <source>Audit events (hash chain)</source>
        <translation>审计事件（哈希链）</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="548"/>
        <source>Seq</source>
        <translation>序号</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="549"/>
        <source>At</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="550"/>
        <source>Actor / action</source>
        <translation>操作人 / 操作</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="551"/>
        <source>Hash / previous hash</source>
        <translation>哈希 / 前一哈希</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="562"/>
        <source>prev {0}</source>
        <translation>前一 {0}</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="570"/>
        <source>Each event&apos;s hash covers the previous event&apos;s hash: `main.py audit verify` checks the chain.</source>
        <translation>每个事件的哈希都涵盖前一事件的哈希：可用 `main.py audit verify` 校验哈希链。</translation>
    </message>
    <message>
        <location filename="../replay/report.py" line="586"/>
        <source>done</source>
        <translation>完成</translation>
    </message>
</context>
<context>
    <name>SessionTableModel</name>
    <message>
        <location filename="../replay/browser.py" line="134"/>
        <source>Session {0}; legs: {1}; reasons: {2}</source>
        <translation>会话 {0}；通话段：{1}；原因：{2}</translation>
    </message>
    <message>
        <location filename="../replay/browser.py" line="137"/>
        <source> (amended: *)</source>
        <translation>（已修改：*）</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <location filename="../sign_in.py" line="53"/>
        <source>Sign in: video review console</source>
        <translation>登录：视频审核台</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="62"/>
        <source>Reviewer name</source>
        <translation>审核员用户名</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="63"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="66"/>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="109"/>
        <source>Enter your reviewer name and password.</source>
        <translation>请输入审核员用户名和密码。</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="112"/>
        <source>Checking…</source>
        <translation>正在比对…</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="51"/>
        <source>Sign in to replay sessions</source>
        <translation>登录：会话回放</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="62"/>
        <source>Name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="107"/>
        <source>Enter your name and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="139"/>
        <source>Sign-in refused: the name or the password is wrong.</source>
        <translation>登录被拒绝：用户名或密码错误。</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="141"/>
        <source>Sign-in failed: {0}</source>
        <translation>登录失败：{0}</translation>
    </message>
    <message>
        <location filename="../sign_in.py" line="125"/>
        <source>This account may not replay sessions: sign in as a supervisor.</source>
        <translation>此账户无权回放会话：请以主管身份登录。</translation>
    </message>
</context>
<context>
    <name>SupervisorWindow</name>
    <message>
        <location filename="../supervisor_window.py" line="196"/>
        <source>Supervision: checks and live view</source>
        <translation>主管：复核与实时视图</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="199"/>
        <source>Four-eyes checks</source>
        <translation>双人复核</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="200"/>
        <source>Live view</source>
        <translation>实时视图</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="218"/>
        <source>Applicant</source>
        <translation>申请人</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="219"/>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="220"/>
        <source>Decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="221"/>
        <location filename="../supervisor_window.py" line="253"/>
        <source>Reviewer</source>
        <translation>审核员</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="222"/>
        <source>Why</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="223"/>
        <source>Waiting since</source>
        <translation>等待自</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="233"/>
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="234"/>
        <source>Send back…</source>
        <translation>退回…</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="253"/>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="253"/>
        <source>For</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="263"/>
        <source>Sessions per hour</source>
        <translation>每小时会话数</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="265"/>
        <location filename="../supervisor_window.py" line="283"/>
        <source>approved</source>
        <translation>批准</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="266"/>
        <location filename="../supervisor_window.py" line="284"/>
        <source>rejected</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="267"/>
        <location filename="../supervisor_window.py" line="285"/>
        <source>verify later</source>
        <translation>稍后验证</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="268"/>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="281"/>
        <source>Outcome rates per hour (% of decided)</source>
        <translation>每小时结果比率（占已决定的百分比）</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="292"/>
        <source>Median handle time per hour (min:s)</source>
        <translation>每小时处理时长中位数（分:秒）</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="293"/>
        <source>median handle time</source>
        <translation>处理时长中位数</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="297"/>
        <source>Failures per hour</source>
        <translation>每小时失败次数</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="299"/>
        <source>face-match failures</source>
        <translation>人脸比对失败</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="300"/>
        <source>connection failures</source>
        <translation>连接失败</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="331"/>
        <source>Could not refresh: {0}</source>
        <translation>无法刷新：{0}</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="336"/>
        <source>{0} decisions await your check</source>
        <translation>{0} 个决定等待您复核</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="355"/>
        <source>amount above the limit</source>
        <translation>金额超过限额</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="356"/>
        <source>refusal overridden</source>
        <translation>推翻了拒绝条件</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="357"/>
        <source>red flag</source>
        <translation>风险提示</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="358"/>
        <source>liveness or face flag</source>
        <translation>活体或面部异常</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="359"/>
        <source>random sample</source>
        <translation>随机抽查</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="366"/>
        <source>Queue now: {0} waiting, longest wait {1}; {2} left without a review today</source>
        <translation>当前队列：{0} 人等待，最长等待 {1}；今日 {2} 人未审核即离开</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="373"/>
        <source>in a call (session {0})</source>
        <translation>通话中（会话 {0}）</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="376"/>
        <source>idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="378"/>
        <source>signed out</source>
        <translation>已退出</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="389"/>
        <source>Today: {0} sessions; approved {1}%, rejected {2}%, verify later {3}%; {4} awaiting check; median handle time {5}; face-match failures {6}; connection failures {7}</source>
        <translation>今日：{0} 个会话；批准 {1}%，拒绝 {2}%，稍后验证 {3}%；{4} 个等待复核；处理时长中位数 {5}；人脸比对失败 {6}；连接失败 {7}</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="423"/>
        <source>Confirmed: {0}</source>
        <translation>已确认：{0}</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="436"/>
        <source>Sent back: {0}</source>
        <translation>已退回：{0}</translation>
    </message>
    <message>
        <location filename="../supervisor_window.py" line="448"/>
        <source>Not done: {0}</source>
        <translation>未完成：{0}</translation>
    </message>
</context>
<context>
    <name>TimelineChart</name>
    <message>
        <location filename="../replay/timeline.py" line="96"/>
        <source>decision: {0}</source>
        <translation>决定：{0}</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="104"/>
        <source>answer: {0}</source>
        <translation>回答：{0}</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="123"/>
        <source>similarity</source>
        <translation>相似度</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="124"/>
        <source>seconds on the recording&apos;s clock</source>
        <translation>录像时间（秒）</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="128"/>
        <source>match threshold {value:.0f}</source>
        <translation>匹配阈值 {value:.0f}</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="145"/>
        <source>answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="146"/>
        <source>connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="147"/>
        <source>face flag</source>
        <translation>人脸提示</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="148"/>
        <source>challenge</source>
        <translation>验证动作</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="149"/>
        <source>failed</source>
        <translation>未通过</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="150"/>
        <source>not judged</source>
        <translation>无法判定</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="151"/>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="152"/>
        <source>decision</source>
        <translation>决定</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="153"/>
        <source>threshold</source>
        <translation>阈值</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="160"/>
        <source>click a marker or the chart to seek there</source>
        <translation>点击标记或图表可跳转到该时刻</translation>
    </message>
    <message>
        <location filename="../replay/timeline.py" line="192"/>
        <source>leg {0}</source>
        <translation>第 {0} 段</translation>
    </message>
</context>
<context>
    <name>WorkstationNotices</name>
    <message>
        <location filename="../notices.py" line="27"/>
        <source>OK</source>
        <translation>知道了</translation>
    </message>
    <message>
        <location filename="../notices.py" line="28"/>
        <source>Hide this notice</source>
        <translation>隐藏此提示</translation>
    </message>
    <message>
        <location filename="../notices.py" line="60"/>
        <source>1 unfinished session from the last run was marked abandoned; its recording is kept.</source>
        <translation>上次运行中有 1 个未完成的会话已标记为中断；其录像已保留。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="64"/>
        <source>{0} unfinished sessions from the last run were marked abandoned; their recordings are kept.</source>
        <translation>上次运行中有 {0} 个未完成的会话已标记为中断；其录像已保留。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="72"/>
        <source>1 decision waiting for the database: it will be saved automatically.</source>
        <translation>有 1 个决定正在等待数据库：将自动保存。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="75"/>
        <source>{0} decisions waiting for the database: they will be saved automatically.</source>
        <translation>有 {0} 个决定正在等待数据库：将自动保存。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="86"/>
        <source>A kept decision cannot be read: {0}</source>
        <translation>一个保存的决定无法读取：{0}</translation>
    </message>
    <message>
        <location filename="../notices.py" line="90"/>
        <source>Session {0}: {1} ({2}) was refused: {3}</source>
        <translation>会话 {0}：{1}（{2}）被拒绝：{3}</translation>
    </message>
    <message>
        <location filename="../notices.py" line="95"/>
        <source>…and {0} more.</source>
        <translation>……另有 {0} 个。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="97"/>
        <source>Decisions that could not be recorded:</source>
        <translation>未能记录的决定：</translation>
    </message>
    <message>
        <location filename="../notices.py" line="100"/>
        <source>What to do: tell your supervisor. A decided session can be amended in the replay window; one that ended without a decision is reviewed again when the applicant returns.</source>
        <translation>处理方法：请告知您的主管。已有决定的会话可在回放窗口中修正；未作决定即结束的会话将在申请人回来时重新审核。</translation>
    </message>
    <message>
        <location filename="../notices.py" line="103"/>
        <source>The files are kept in {0}.</source>
        <translation>文件保存在 {0}。</translation>
    </message>
</context>
</TS>
