"""The default checklists (检查表) of each inspection kind, installed on a fresh database.

The street edits them afterwards in the admin; ``install_default_checklists`` only adds
a kind's template when that kind has none, so edits are never overwritten.
"""

from __future__ import annotations

from typing import Any

# kind -> (template name, [(item text, guidance, severity when failed)])
DEFAULT_CHECKLISTS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "patrol": (
        "网格员日常巡查表",
        [
            ("消防通道、楼梯间、安全出口畅通", "无杂物堆放、无上锁、无占用", "high"),
            ("无电动车、电瓶进楼入户", "楼道、门厅、房间内无电动车和电瓶", "high"),
            ("无私拉乱接电线、飞线充电", "重点查看窗外、楼道的拖线板和电线", "high"),
            ("灭火器、消火栓在位完好", "压力表指针在绿区, 消火栓箱不被遮挡", "medium"),
            ("应急照明、疏散指示标志完好", "按测试按钮能亮", "medium"),
            ("出租登记信息张贴, 新入住人员已登记", "对照门口公示的住户名单", "low"),
            ("公共区域整洁, 垃圾分类投放规范", "", "low"),
            ("无群租、可疑人员等治安隐患", "", "medium"),
        ],
    ),
    "fire": (
        "消防安全检查表",
        [
            ("安全出口、疏散通道畅通, 防火门常闭完好", "闭门器有效, 无锁闭、无堵塞", "high"),
            ("灭火器数量足够、压力正常、在有效期内", "每层不少于 2 具", "medium"),
            ("室内消火栓出水压力正常, 水带水枪齐全", "高层 ≥0.35 MPa, 其他 ≥0.25 MPa", "medium"),
            ("电动自行车集中停放充电场所设置规范", "无进楼入户、无飞线充电", "high"),
            ("电气线路穿管保护, 无私拉乱接、老化破损", "", "high"),
            ("火灾自动报警、智慧用电等设施运行正常", "查看平台在线状态和近期告警", "medium"),
            ("微型消防站人员在岗、器材齐全", "", "medium"),
            ("消防安全责任人明确, 消防标识张贴", "", "low"),
        ],
    ),
    "police": (
        "治安检查表",
        [
            ("出入口门禁、人脸识别运行正常", "同时保留刷卡、二维码等其他进门方式", "medium"),
            ("视频监控覆盖出入口和公共区域, 录像完整", "", "medium"),
            ("住户实名登记, 访客登记", "", "medium"),
            ("无涉黄、涉赌、涉毒等违法活动迹象", "", "high"),
            ("治安防范宣传张贴到位", "", "low"),
        ],
    ),
    "health": (
        "卫生防疫检查表",
        [
            ("公共区域定期清洁消毒并有记录", "", "low"),
            ("饮用水设施卫生, 二次供水有检测报告", "", "medium"),
            ("病媒生物防制 (灭鼠、灭蟑) 措施到位", "", "low"),
            ("发热等症状人员报告机制落实", "", "medium"),
            ("健康宣传资料张贴", "", "low"),
        ],
    ),
    "garbage": (
        "垃圾分类检查表",
        [
            ("分类投放点设置规范, 四分类桶齐全", "", "low"),
            ("垃圾分类准确, 无混投", "", "low"),
            ("垃圾及时清运, 无满溢", "", "low"),
            ("垃圾分类宣传和督导到位", "", "low"),
        ],
    ),
    "rental": (
        "出租房屋管理检查表",
        [
            ("出租房屋已登记备案, 登记信息张贴", "", "medium"),
            ("租客名单与实际入住一致, 新入住人员按期登记", "到达后 3 日内", "medium"),
            ("退租人员及时注销", "", "low"),
            ("居住人数不超过核定人数, 无群租", "", "high"),
            ("已签订治安、消防安全责任书", "", "low"),
        ],
    ),
    "market": (
        "市场监管检查表",
        [
            ("经营主体证照齐全并公示", "", "medium"),
            ("食品经营持证, 从业人员有健康证", "", "medium"),
            ("明码标价, 无价格欺诈", "", "low"),
            ("电梯等特种设备定期检验合格", "", "high"),
        ],
    ),
}


def install_default_checklists(template_model: Any = None, item_model: Any = None) -> int:
    """Create the default template of every kind that has none yet; returns how many were created.

    Takes the models as arguments so the data migration can pass its historical ones.
    """
    if template_model is None or item_model is None:
        from apartments.models import ChecklistItem, ChecklistTemplate

        template_model, item_model = ChecklistTemplate, ChecklistItem
    created = 0
    for kind, (name, items) in DEFAULT_CHECKLISTS.items():
        if template_model.objects.filter(kind=kind).exists():
            continue
        template = template_model.objects.create(kind=kind, name=name)
        item_model.objects.bulk_create(
            item_model(template=template, order=(i + 1) * 10, text=text, guidance=guidance, severity=severity)
            for i, (text, guidance, severity) in enumerate(items)
        )
        created += 1
    return created
