"""zh-TW names of the things people read about: budget items and targets."""

ITEM_LABELS = {
    "admin_staff": "1a 專任行政人力",
    "counseling_staff": "1b 專任輔導人力",
    "it_staff": "1c 專任資訊人力",
    "principal_investigator": "1d 兼任計畫主持人",
    "co_investigator": "1e 兼任協同計畫主持人",
    "substitute_teaching": "2 代理代課費",
    "teacher_training": "3 教師增能研習費",
    "office_operations": "4a 推動辦公室運作費",
    "school_companion": "4b 入校入班陪伴",
    "mdm_licences": "5 既有學習載具 MDM 授權",
    "digital_content": "6 數位內容及教學軟體",
    "administration": "7 行政管理費",
}

TARGET_LABELS = {
    "key_schools": "重點學校數",
    "self_learning_open_lessons": "自主學習節公開觀議課場次",
    "open_lessons": "數位學習模式公開觀議課場次(每校至少 1 場)",
    "sampled_schools": "學習成效評估抽樣校數(國中小)",
    "literacy_teachers": "數位素養增能培訓教師數",
    "workshop_teachers": "數位學習工作坊(一)(二)累計培訓教師數",
    "moe_team_meetings": "輔導團隊主持人參與重要會議次數",
    "parent_sessions": "家長宣講場次",
    "working_meetings": "推動辦公室工作會議次數",
    "guideline_workshops": "數位教學指引(2.0)培力工作坊場次",
    "remote_one_device_schools": "偏遠學校 1 人 1 臺載具校數",
    "non_remote_class_set_schools": "非偏遠學校每 6 班 1 班載具校數",
}
