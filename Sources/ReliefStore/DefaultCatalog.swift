import ReliefDomain

/// The catalog a new county starts with: one item per kind of the 8+1 framework of
/// 《社会救助暂行办法》, each with the attributes DB32/T 4012-2021 §6.1.3.1 asks of the
/// 事项清单 (name, implementing department, target group, process, relief content, materials,
/// policy basis) and, for every material, the review standard of §6.1.3.2 (form, key points,
/// common problems, error examples).
///
/// It exists so a center can open its windows on day one and adapt the items afterwards rather
/// than type them from nothing. The text follows national rules and usual Jiangsu county
/// practice (reference/policy.md); standards, amounts and some steps vary by place, so every
/// entry is only a starting point that the center manager edits into a new version. Policy
/// bases name only instruments known to exist and otherwise refer generically to local rules.
public enum DefaultCatalog {
    public struct Entry: Sendable {
        /// The item's short stable code, `^[a-z0-9_-]{2,40}$`, e.g. `dibao`.
        public let code: String
        public let kind: ReliefKind
        /// The implementing county department; one of `departmentNames`.
        public let departmentName: String
        public let content: ItemContent
    }

    /// The departments the entries name, in the order to create them, then the departments
    /// usually stationed in the same center (reference/policy.md).
    public static let departmentNames: [String] = [
        "民政局", "应急管理局", "医保局", "教育局", "住建局", "人社局", "红十字会",
        "残联", "总工会", "司法局", "卫健委",
    ]

    /// One entry per `ReliefKind`, in the order of `ReliefKind.allCases`.
    public static let entries: [Entry] = [
        minimumLiving, destituteSupport, disaster, medical, education, housing, employment, temporary,
        socialParticipation,
    ]

    // MARK: - 最低生活保障

    private static let minimumLiving = Entry(
        code: "dibao", kind: .minimumLiving, departmentName: "民政局",
        content: ItemContent(
            name: "最低生活保障申请",
            targetGroup: """
                共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产状况符合当地规定的本县（市、区）\
                户籍家庭；持有本地居住证的非本地户籍家庭，可按当地规定在居住地申请。低保边缘家庭中的重度残疾人、\
                重病患者等特殊困难人员，经本人申请可按规定单独提出申请。
                """,
            process: """
                1. 申请：以家庭为单位，向户籍所在地（或居住地）乡镇人民政府（街道办事处）或县社会救助中心窗口\
                提出书面申请，也可通过线上渠道申请；本人申请有困难的，可委托村（居）民委员会或他人代为提出。
                2. 受理：材料齐全的当场受理；材料不全的一次性告知需补齐的全部材料。
                3. 家庭经济状况核对：经申请人及家庭成员授权，通过居民家庭经济状况核对系统核查收入和财产状况。
                4. 入户调查：乡镇（街道）组织不少于2名工作人员入户调查，调查结果由调查人员和申请人签字确认；\
                必要时开展邻里访问或民主评议。
                5. 审核与公示：乡镇人民政府（街道办事处）提出审核意见，在申请家庭所在村（社区）公示7天。
                6. 审批：县级民政部门作出审批决定（已委托乡镇人民政府、街道办事处审批的，由其作出决定）；\
                不予批准的，在作出决定后3个工作日内书面告知申请人并说明理由。
                7. 发放与公布：批准的，自批准之月起按月发放最低生活保障金，并在村（社区）公布保障对象信息。
                全程自受理之日起一般不超过25个工作日，特殊情况可延长至40个工作日。
                """,
            reliefContent: """
                按照共同生活家庭成员人均收入低于当地最低生活保障标准的差额，按月发放最低生活保障金；对家庭中的\
                老年人、未成年人、重度残疾人和重病患者等，可按当地规定适当增发。保障对象可同时按规定享受医疗、\
                教育、住房、就业、临时救助等专项救助和相关费用减免。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第二章；《最低生活保障审核确认办法》（民发〔2021〕57号）；\
                《江苏省社会救助办法》；《江苏省最低生活保障工作规程》；本县（市、区）现行最低生活保障标准。
                """,
            timeLimitDays: 25,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "最低生活保障申请书",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印",
                        keyPoints: [
                            "写明申请理由及家庭成员、收入、财产和生活状况",
                            "共同生活家庭成员填写完整，与户口簿和实际居住情况一致",
                            "申请人签字或按手印，并注明申请日期",
                            "委托他人代为申请的，附委托书和受托人身份证复印件",
                        ],
                        commonProblems: [
                            "漏报在外务工或在外地就读的家庭成员",
                            "收入栏空白或只写“无收入”，未说明生活来源",
                        ],
                        errorExamples: [
                            "申请书由村干部代写代签，申请人本人未签字也未按手印，窗口仍予受理",
                            "漏填在外地全日制就读本科的子女，该子女应计入共同生活家庭成员",
                        ]
                    )
                ),
                idCard(of: "申请人及共同生活家庭成员", extraPoint: "未满16周岁未办理身份证的，以户口簿成员页代替"),
                householdRegister(),
                authorization(),
                MaterialRequirement(
                    key: "income_proof", name: "家庭收入证明",
                    review: ReviewStandard(
                        form: "原件，由用人单位盖章出具；无固定单位的由本人如实申报并签字",
                        keyPoints: [
                            "覆盖全部共同生活家庭成员，按当地规定的计算期限列明收入",
                            "包括工资性、经营净、财产净和转移净收入（含赡养费、抚养费、养老金等）",
                            "有工作单位的由单位出具并加盖公章；务农、灵活就业收入可书面申报，由入户调查核实",
                        ],
                        commonProblems: [
                            "只提供申请人本人收入，遗漏配偶或其他成员",
                            "未申报赡养费、抚养费、离退休金等转移性收入",
                        ],
                        errorExamples: [
                            "仅提交申请人本人工资条，配偶在外地务工的收入未申报也未说明",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "special_proof", name: "特殊情况证明（残疾人证、诊断证明、离婚证明等）", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致",
                        keyPoints: [
                            "家庭成员有残疾的，提供《中华人民共和国残疾人证》，核对残疾类别和等级",
                            "患重病的，提供二级及以上医疗机构出具的诊断证明",
                            "离婚的，提供离婚证及离婚协议或法院判决书，核对子女抚养和财产分割约定",
                        ],
                        commonProblems: [
                            "诊断证明未加盖医疗机构印章",
                            "离婚协议缺页，无法确认子女抚养和抚养费约定",
                        ],
                        errorExamples: [
                            "离婚协议约定子女由对方抚养，却将该子女计入申请家庭成员",
                        ]
                    )
                ),
            ]
        )
    )

    // MARK: - 特困人员供养

    private static let destituteSupport = Entry(
        code: "tekun", kind: .destituteSupport, departmentName: "民政局",
        content: ItemContent(
            name: "特困人员救助供养申请",
            targetGroup: """
                同时具备以下条件的本县（市、区）户籍老年人、残疾人和未满16周岁的未成年人：无劳动能力；无生活来源；\
                无法定赡养、抚养、扶养义务人，或者其法定义务人无履行义务能力。符合条件的未成年人，救助供养可延长至\
                18周岁；年满18周岁仍在接受义务教育或在普通高中、中等职业学校就读的，可继续享有。
                """,
            process: """
                1. 申请：本人向户籍所在地乡镇人民政府（街道办事处）或县社会救助中心窗口提出书面申请；\
                本人申请有困难的，可委托村（居）民委员会或他人代为提出。
                2. 受理：材料齐全的予以受理；材料不全的一次性告知需补齐的全部材料。
                3. 调查审核：乡镇（街道）自受理之日起15个工作日内，通过入户调查、邻里访问、信函索证和家庭经济\
                状况核对等方式，核实申请人的经济状况、实际生活状况以及赡养、抚养、扶养状况，提出审核意见。
                4. 公示：审核意见在申请人所在村（社区）公示7天；未成年人的信息不予公示。
                5. 确认：县级民政部门自收到审核材料之日起10个工作日内作出确认决定；不予确认的，书面告知申请人\
                并说明理由。
                6. 供养：自确认之月起给予救助供养，申请人可选择在供养服务机构集中供养或在家分散供养；\
                生活不能自理的优先集中供养。
                """,
            reliefContent: """
                提供基本生活条件，按月发放基本生活费；对生活不能自理的给予照料，按照护等级发放照料护理费；\
                提供疾病治疗，全额资助参加城乡居民基本医疗保险，个人负担的医疗费用按规定给予医疗救助；\
                办理丧葬事宜。在学的特困人员可享受教育救助，住房困难的分散供养特困人员可享受住房救助。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第三章；《国务院关于进一步健全特困人员救助供养制度的意见》\
                （国发〔2016〕14号）；《特困人员认定办法》（民发〔2021〕43号）；《江苏省社会救助办法》；\
                本县（市、区）现行特困人员救助供养标准。
                """,
            timeLimitDays: 30,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "特困人员救助供养申请书",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印；无民事行为能力的由监护人签字",
                        keyPoints: [
                            "写明无劳动能力、无生活来源的具体情况",
                            "如实填写法定赡养、抚养、扶养义务人及其履行义务能力",
                            "注明选择集中供养还是分散供养",
                        ],
                        commonProblems: [
                            "未填写已出嫁女儿等法定赡养义务人",
                            "代为申请时未附委托书",
                        ],
                        errorExamples: [
                            "申请书写“无子女”，户籍核查显示申请人有一名在外地工作的儿子",
                        ]
                    )
                ),
                idCard(of: "申请人", extraPoint: "未成年人未办理身份证的，以户口簿成员页代替"),
                householdRegister(),
                authorization(),
                MaterialRequirement(
                    key: "disability_proof", name: "残疾人证或疾病诊断证明", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致",
                        keyPoints: [
                            "以残疾认定无劳动能力的，核对《中华人民共和国残疾人证》的残疾类别和等级是否符合规定",
                            "以重病认定的，诊断证明应由二级及以上医疗机构出具并加盖印章",
                            "年满60周岁的老年人按规定视为无劳动能力，无需提供本项",
                        ],
                        commonProblems: [
                            "残疾人证信息与身份证不一致",
                        ],
                        errorExamples: [
                            "以四级肢体残疾的残疾人证认定为无劳动能力",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "obligor_proof", name: "法定义务人无履行义务能力证明", required: false,
                    review: ReviewStandard(
                        form: "原件或复印件；复印件需与原件核对一致",
                        keyPoints: [
                            "有法定义务人的，证明其属于特困人员、低保对象、重度残疾人等无履行义务能力的情形",
                            "证明由有权机关出具或经民政部门信息系统核实",
                        ],
                        commonProblems: [
                            "仅以村（居）委会出具的“子女不孝”“长期不联系”说明代替无履行能力证明",
                        ],
                        errorExamples: [
                            "赡养人有稳定工作收入但拒绝赡养，窗口以此认定其无履行义务能力",
                        ]
                    )
                ),
            ]
        )
    )

    // MARK: - 受灾人员救助

    private static let disaster = Entry(
        code: "shouzai", kind: .disaster, departmentName: "应急管理局",
        content: ItemContent(
            name: "受灾人员救助申请",
            targetGroup: """
                因洪涝、台风、干旱、风雹、低温冷冻、雪灾、地震、地质灾害等自然灾害造成基本生活困难的受灾人员，\
                包括需紧急转移安置的人员、住房倒塌或严重损坏无房可住的人员、因灾导致冬春期间口粮和衣被取暖等\
                基本生活困难的人员，以及因灾遇难人员的家属。
                """,
            process: """
                1. 申请：受灾人员以户为单位向村（居）民委员会或乡镇（街道）社会救助窗口提出申请；\
                也可由村（居）民小组在灾情核查中提名。
                2. 评议公示：村（居）民委员会组织民主评议，核实受灾情况和救助需求，在自然村（社区）范围内公示。
                3. 审核：乡镇人民政府（街道办事处）核查灾情，审核救助对象名单和救助标准，报县应急管理局。
                4. 审批：县应急管理局会同有关部门审批，确定救助对象和救助金额。
                5. 发放与公布：救助资金通过惠民惠农财政补贴资金“一卡通”发放到户，救助物资登记造册发放，\
                救助对象名单在村（社区）公布。
                紧急转移安置和应急救助不以申请为前提，由乡镇（街道）组织先行实施。
                """,
            reliefContent: """
                应急救助：紧急转移安置，提供临时住所、食品、饮用水、衣被和医疗防疫等基本生活保障；\
                过渡期生活救助：对住房倒塌或严重损坏、无房可住的受灾人员，按规定标准和期限发放过渡期生活救助金；\
                倒损住房恢复重建补助；冬春临时生活困难救助：解决受灾人员口粮、衣被、取暖等困难；\
                对因灾遇难人员家属发放抚慰金。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第四章；《自然灾害救助条例》（国务院令第577号）；\
                《国家自然灾害救助应急预案》；江苏省及本县（市、区）自然灾害救助应急预案和救助标准。
                """,
            timeLimitDays: 10,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "受灾人员救助申请表",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印；由村（居）民小组提名的，需村（居）委会盖章",
                        keyPoints: [
                            "写明受灾时间、灾害种类、受灾情况和需要救助的事项",
                            "家庭人口与户口簿及实际居住情况一致",
                            "申请人签字或按手印，注明日期",
                        ],
                        commonProblems: [
                            "受灾情况描述笼统，未写明房屋倒损程度或财产损失",
                        ],
                        errorExamples: [
                            "申请表只写“房屋受损”，未区分倒塌、严重损坏和一般损坏，无法套用救助标准",
                        ]
                    )
                ),
                idCard(of: "申请人", extraPoint: "证件因灾损毁或遗失的，可凭公安机关证明或经户籍信息系统核验后受理"),
                householdRegister(extraPoint: "户口簿因灾遗失的，可经户籍信息系统核实家庭成员后受理，事后补交"),
                MaterialRequirement(
                    key: "damage_proof", name: "受灾情况证明（含房屋倒损照片）",
                    review: ReviewStandard(
                        form: "原件，由村（居）民委员会出具并加盖公章，附现场照片",
                        keyPoints: [
                            "写明灾害发生时间、受灾户、倒损房屋间数和倒损程度",
                            "照片能清楚反映房屋倒损状况，拍摄时间在灾害发生后",
                            "与乡镇（街道）灾情统计报表信息一致",
                        ],
                        commonProblems: [
                            "证明无村（居）委会公章或经办人签字",
                            "照片无法辨认是否为申请人住房",
                        ],
                        errorExamples: [
                            "将灾前已废弃的闲置房屋作为倒损住房申请过渡期生活救助",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "death_certificate", name: "因灾遇难人员死亡证明", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致",
                        keyPoints: [
                            "死亡原因、时间与本次灾害相符",
                            "申请人与遇难人员的亲属关系有户口簿或其他证明佐证",
                        ],
                        commonProblems: [
                            "申请人与遇难人员关系证明缺失",
                        ],
                        errorExamples: [
                            "以灾前因病去世人员的死亡证明申请因灾遇难人员家属抚慰金",
                        ]
                    )
                ),
                bankAccount(),
            ]
        )
    )

    // MARK: - 医疗救助

    private static let medical = Entry(
        code: "yiliao", kind: .medical, departmentName: "医保局",
        content: ItemContent(
            name: "医疗救助申请",
            targetGroup: """
                参加基本医疗保险的下列本县（市、区）人员：特困人员、最低生活保障对象；低保边缘家庭成员、\
                纳入监测范围的农村易返贫致贫人口；不符合上述条件，但因高额医疗费用支出导致家庭基本生活出现\
                严重困难的大病患者（因病致贫重病患者）；以及县级以上人民政府规定的其他特殊困难人员。
                """,
            process: """
                已认定身份的救助对象在定点医疗机构就医时，医疗救助与基本医疗保险、大病保险“一站式”同步结算，\
                无需另行申请。未能“一站式”结算或需申请认定的，按以下程序办理：
                1. 申请：向户籍所在地乡镇（街道）或县社会救助中心医保窗口提出申请，提交医疗费用票据、\
                结算单和诊断证明等材料。
                2. 受理：材料齐全的受理；材料不全的一次性告知需补齐的全部材料。
                3. 身份认定：因病致贫重病患者等需认定身份的，由民政部门会同有关部门开展家庭经济状况核对和认定。
                4. 审核：县医保局审核政策范围内个人自付医疗费用，按救助对象类别核定救助金额。
                5. 审批发放：审批后将救助资金发放至救助对象账户，并将结果告知申请人；不予救助的说明理由。
                """,
            reliefContent: """
                资助参保：对特困人员给予全额资助，对低保对象等给予定额资助，参加城乡居民基本医疗保险；\
                门诊和住院救助：对经基本医疗保险、大病保险等支付后政策范围内个人自付的医疗费用，按救助对象类别\
                分档确定救助比例和年度救助限额给予救助；对规范转诊且在省域内就医、经综合保障后个人负担仍然较重的\
                救助对象，按规定给予倾斜救助。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第五章；《国务院办公厅关于健全重特大疾病医疗保险和救助制度\
                的意见》（国办发〔2021〕42号）；江苏省及本县（市、区）医疗救助实施办法。
                """,
            timeLimitDays: 15,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "医疗救助申请表",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印；患者无法签字的由监护人或近亲属代签并注明关系",
                        keyPoints: [
                            "写明患者、疾病、就医时间和医院",
                            "注明救助对象类别（特困、低保、低保边缘、因病致贫重病患者等）",
                        ],
                        commonProblems: [
                            "代签人未注明与患者关系",
                        ],
                        errorExamples: [
                            "申请表救助对象类别勾选“低保对象”，但申请人已于上月退出低保",
                        ]
                    )
                ),
                idCard(of: "患者（代办的另附代办人）"),
                MaterialRequirement(
                    key: "medical_bills", name: "医疗费用票据及医保结算单",
                    review: ReviewStandard(
                        form: "原件，或加盖医疗机构印章的复印件；原件已用于其他报销的，提供报销单位出具的分割单",
                        keyPoints: [
                            "票据姓名为患者本人，就诊时间在当地规定的申请期限内",
                            "附基本医疗保险、大病保险结算单，分清政策范围内个人自付金额",
                            "已获商业保险或其他渠道报销的，提供分割单或报销证明，避免重复救助",
                        ],
                        commonProblems: [
                            "只有费用清单，没有正式票据",
                            "异地就医未备案，缺少医保结算单",
                        ],
                        errorExamples: [
                            "以未经医保结算的医疗总费用作为救助基数，重复计算了医保已支付部分",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "diagnosis", name: "诊断证明或出院小结",
                    review: ReviewStandard(
                        form: "原件或复印件，需加盖医疗机构印章",
                        keyPoints: [
                            "疾病诊断明确，与票据的就诊时间、医院一致",
                            "住院的提供出院记录（出院小结）",
                        ],
                        commonProblems: [
                            "诊断证明无医疗机构印章或医师签名",
                        ],
                        errorExamples: [
                            "以门诊病历首页代替出院小结，无法核对住院起止时间",
                        ]
                    )
                ),
                authorization(required: false, whenNeeded: "申请认定为因病致贫重病患者的，须提交"),
                bankAccount(),
            ]
        )
    )

    // MARK: - 教育救助

    private static let education = Entry(
        code: "jiaoyu", kind: .education, departmentName: "教育局",
        content: ItemContent(
            name: "教育救助（家庭经济困难学生资助）申请",
            targetGroup: """
                在本县（市、区）学前教育、义务教育、普通高中和中等职业学校就读的，以及本县（市、区）户籍考入\
                全日制普通高校的家庭经济困难学生，包括最低生活保障家庭、特困人员、低保边缘家庭、孤儿、\
                事实无人抚养儿童、残疾学生、烈士子女和纳入防止返贫监测范围家庭的学生等。
                """,
            process: """
                1. 申请：学生或其监护人向就读学校提出申请，填写家庭经济困难学生认定申请表；新考入高校的学生\
                可向县教育局学生资助管理中心申请入学资助或生源地信用助学贷款。
                2. 认定：学校认定评议小组结合困难身份信息比对、家访等方式开展家庭经济困难学生认定，\
                在适当范围内公示，不公开学生个人隐私。
                3. 审核：学校将认定结果和资助名单报县教育局（学生资助管理中心）审核，\
                并与民政、残联等部门的困难身份信息比对。
                4. 审批发放：县教育局审批后，学杂费等直接减免，助学金、生活补助发放至学生或监护人账户。
                5. 告知：将资助结果告知学生或监护人；不符合条件的说明理由。
                """,
            reliefContent: """
                根据不同教育阶段需求，采取减免相关费用、发放助学金、给予生活补助、安排勤工助学等方式实施：\
                学前教育阶段减免保育教育费或发放幼儿资助金；义务教育阶段免除学杂费、免费提供教科书，\
                对家庭经济困难寄宿生补助生活费；普通高中阶段对家庭经济困难学生免除学杂费、发放国家助学金；\
                中等职业教育阶段免除学费、发放国家助学金；高等教育阶段提供入学资助、生源地信用助学贷款等。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第六章；国家和江苏省学生资助政策；\
                本县（市、区）家庭经济困难学生认定和资助实施办法。
                """,
            timeLimitDays: 20,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "家庭经济困难学生认定申请表",
                    review: ReviewStandard(
                        form: "原件，需学生本人及监护人签字",
                        keyPoints: [
                            "学生姓名、学校、年级与学籍信息一致",
                            "如实填写家庭成员、收入和困难情况，勾选困难类别",
                            "学生本人及监护人签字，注明日期",
                        ],
                        commonProblems: [
                            "只有学生签字，缺少监护人签字",
                            "困难类别勾选与证明材料不一致",
                        ],
                        errorExamples: [
                            "申请表勾选“孤儿”，但户口簿和学籍信息显示父母均健在",
                        ]
                    )
                ),
                idCard(of: "学生及其监护人", extraPoint: "学生未办理身份证的，以户口簿成员页代替"),
                householdRegister(),
                MaterialRequirement(
                    key: "enrollment_proof", name: "学籍证明或录取通知书",
                    review: ReviewStandard(
                        form: "原件或复印件；学籍证明需加盖学校公章",
                        keyPoints: [
                            "在读学生提供学校出具的学籍证明，核对学段、年级和是否寄宿",
                            "新考入高校的提供录取通知书，核对学校和录取类别为全日制",
                        ],
                        commonProblems: [
                            "学籍证明未加盖学校公章",
                        ],
                        errorExamples: [
                            "以非全日制成人教育录取通知书申请高校新生入学资助",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "hardship_proof", name: "困难身份证明", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；可通过部门信息比对核实的可免交",
                        keyPoints: [
                            "低保、特困、低保边缘等身份以民政部门认定为准，核对是否在有效期内",
                            "孤儿、事实无人抚养儿童以民政部门认定为准；残疾学生提供残疾人证",
                        ],
                        commonProblems: [
                            "提供的低保证明已过期，家庭已退出低保",
                        ],
                        errorExamples: [
                            "以村委会出具的“家庭困难”证明代替民政部门的低保认定，按低保家庭学生标准资助",
                        ]
                    )
                ),
                bankAccount(),
            ]
        )
    )

    // MARK: - 住房救助

    private static let housing = Entry(
        code: "zhufang", kind: .housing, departmentName: "住建局",
        content: ItemContent(
            name: "住房救助申请",
            targetGroup: """
                住房困难且符合当地规定标准的最低生活保障家庭和分散供养特困人员；农村危房改造的对象还包括\
                低保边缘家庭、农村易返贫致贫户等住房安全没有保障的困难家庭。
                """,
            process: """
                1. 申请：城镇家庭向乡镇人民政府（街道办事处）或县社会救助中心住建窗口提出公共租赁住房或\
                住房租赁补贴申请；农村家庭向乡镇人民政府（街道办事处）提出农村危房改造申请。
                2. 受理：材料齐全的受理；材料不全的一次性告知需补齐的全部材料。
                3. 初审：乡镇（街道）核实住房状况和困难身份；农村危房须经房屋安全性鉴定（评定）。
                4. 审核：县民政部门审核家庭收入、财产状况和困难身份，县住建局审核家庭住房状况。
                5. 公示：审核结果在申请人所在村（社区）或县住建局网站公示。
                6. 保障实施：城镇家庭按规定配租公共租赁住房或发放住房租赁补贴，符合条件的优先保障；\
                农村危房改造对象签订改造协议，竣工验收合格后拨付补助资金。
                """,
            reliefContent: """
                城镇住房救助通过配租公共租赁住房、发放住房租赁补贴等方式实施，对符合条件的最低生活保障家庭和\
                分散供养特困人员优先给予保障；农村住房救助通过农村危房改造等方式实施，按房屋危险程度和改造方式\
                给予分类补助，保障基本住房安全。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第七章；《公共租赁住房管理办法》（住房和城乡建设部令\
                第11号）；国家和江苏省农村危房改造相关政策；本县（市、区）住房保障实施办法。
                """,
            timeLimitDays: 30,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "住房救助申请表",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印",
                        keyPoints: [
                            "写明现住房情况（面积、结构、产权或租住）和申请的救助方式",
                            "家庭成员与户口簿一致，申请人签字并注明日期",
                        ],
                        commonProblems: [
                            "未选择申请的救助方式（公租房、租赁补贴或危房改造）",
                        ],
                        errorExamples: [
                            "申请表填写“无房”，不动产登记查询显示配偶名下有住房一套",
                        ]
                    )
                ),
                idCard(of: "申请人及共同生活家庭成员"),
                householdRegister(),
                MaterialRequirement(
                    key: "housing_proof", name: "住房状况证明",
                    review: ReviewStandard(
                        form: "原件：不动产登记查询结果、村（居）委会住房情况证明或房屋安全性鉴定（评定）结论",
                        keyPoints: [
                            "城镇家庭核对全部家庭成员名下不动产登记情况",
                            "农村危房改造须有房屋安全性鉴定（评定）结论，C级、D级危房方可纳入",
                            "证明注明出具单位、日期并加盖公章",
                        ],
                        commonProblems: [
                            "只查询了申请人本人名下房产，遗漏其他家庭成员",
                            "鉴定结论缺少鉴定人员签字",
                        ],
                        errorExamples: [
                            "房屋安全性鉴定为B级（不属于危房），仍按D级危房列入改造计划",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "hardship_proof", name: "困难身份证明（低保、特困等）", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；可通过民政信息系统核实的可免交",
                        keyPoints: [
                            "核对低保、分散供养特困等身份在申请时有效",
                            "特困人员须为在家分散供养，集中供养的不纳入住房救助",
                        ],
                        commonProblems: [
                            "身份已过期或已退出保障",
                        ],
                        errorExamples: [
                            "将集中供养的特困人员按分散供养特困人员纳入住房救助",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "lease_contract", name: "房屋租赁合同", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；申请住房租赁补贴时提交",
                        keyPoints: [
                            "承租人为申请人或共同生活家庭成员，租赁期限在有效期内",
                            "租赁房屋位于本县（市、区），租金和面积写明",
                        ],
                        commonProblems: [
                            "合同缺少出租人签字或租赁期限已届满",
                        ],
                        errorExamples: [
                            "以租住亲属自有住房且未实际支付租金的合同申请租赁补贴",
                        ]
                    )
                ),
            ]
        )
    )

    // MARK: - 就业救助

    private static let employment = Entry(
        code: "jiuye", kind: .employment, departmentName: "人社局",
        content: ItemContent(
            name: "就业救助申请",
            targetGroup: """
                最低生活保障家庭中有劳动能力并处于失业状态的成员，以及按规定认定的就业困难人员和零就业家庭成员。
                """,
            process: """
                1. 申请：申请人持身份证件向户籍所在地或常住地乡镇（街道）公共就业服务机构或县社会救助中心人社窗口\
                办理失业登记，提出就业救助申请。
                2. 认定：人社部门核实失业状态和就业困难情形，会同民政部门核对最低生活保障家庭身份，\
                符合条件的认定为就业困难人员。
                3. 就业援助：提供免费职业指导、职业介绍和岗位推荐，根据需要安排职业技能培训或公益性岗位。
                4. 补贴申领：实现就业或完成培训后，按规定申请社会保险补贴、岗位补贴、培训补贴等，\
                县人社局审核后发放。
                5. 跟踪帮扶：对零就业家庭实行动态清零，确保至少有一人就业。
                """,
            reliefContent: """
                通过贷款贴息、社会保险补贴、岗位补贴、培训补贴、费用减免、公益性岗位安置等办法给予就业救助，\
                并提供免费的职业指导、职业介绍等就业服务；最低生活保障家庭有劳动能力的成员均处于失业状态的，\
                采取有针对性的措施，确保该家庭至少有一人就业。最低生活保障家庭中有劳动能力但未就业的成员，\
                无正当理由连续3次拒绝接受介绍的与其健康状况、劳动能力等相适应的工作的，民政部门将减发或停发\
                其本人的最低生活保障金。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第八章；《中华人民共和国就业促进法》；\
                江苏省及本县（市、区）就业困难人员认定和就业援助相关规定。
                """,
            timeLimitDays: 15,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "就业救助申请表",
                    review: ReviewStandard(
                        form: "原件，需申请人本人签字",
                        keyPoints: [
                            "写明失业时间、原工作情况、求职意向和申请的援助项目",
                            "申请人本人签字并注明日期",
                        ],
                        commonProblems: [
                            "未填写求职意向，无法进行岗位推荐",
                        ],
                        errorExamples: [
                            "申请人正在企业参保缴费，申请表仍填写“失业”",
                        ]
                    )
                ),
                idCard(of: "申请人"),
                MaterialRequirement(
                    key: "employment_card", name: "《就业创业证》", required: false,
                    review: ReviewStandard(
                        form: "原件核验；尚未办理的可现场申领",
                        keyPoints: [
                            "已进行失业登记，登记状态为失业",
                            "证上信息与身份证一致",
                        ],
                        commonProblems: [
                            "已就业但未办理就业登记，证上仍显示失业",
                        ],
                        errorExamples: [
                            "社会保险缴费记录显示已就业，仍按失业人员认定为就业困难人员",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "hardship_proof", name: "最低生活保障家庭证明", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；可通过民政信息系统核实的可免交",
                        keyPoints: [
                            "核对申请人为在册最低生活保障家庭成员，身份在有效期内",
                            "核对申请人有劳动能力，未被认定为无劳动能力的重度残疾人或重病患者",
                        ],
                        commonProblems: [
                            "家庭已退出低保，提供的是过期证明",
                        ],
                        errorExamples: [
                            "申请人不在低保家庭成员名单内（已分户），仍按低保家庭成员认定",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "labor_contract", name: "劳动合同", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；申请社会保险补贴、岗位补贴时提交",
                        keyPoints: [
                            "合同期限符合补贴规定的最低期限，用人单位已按规定缴纳社会保险",
                            "公益性岗位安置的，核对岗位开发单位和岗位名称",
                        ],
                        commonProblems: [
                            "合同期限不足规定期限",
                        ],
                        errorExamples: [
                            "用人单位未为其缴纳社会保险，仍发放社会保险补贴",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "training_certificate", name: "培训合格证书或职业技能等级证书", required: false,
                    review: ReviewStandard(
                        form: "复印件，需与原件核对一致；申请培训补贴时提交",
                        keyPoints: [
                            "培训机构为人社部门认定的定点机构，培训项目在补贴目录内",
                            "证书姓名、身份证号码与申请人一致",
                        ],
                        commonProblems: [
                            "同一培训项目在其他渠道已领取补贴",
                        ],
                        errorExamples: [
                            "以非定点机构的培训结业证申请培训补贴",
                        ]
                    )
                ),
            ]
        )
    )

    // MARK: - 临时救助

    private static let temporary = Entry(
        code: "linshi", kind: .temporary, departmentName: "民政局",
        content: ItemContent(
            name: "临时救助申请",
            targetGroup: """
                因火灾、交通事故等意外事件，家庭成员突发重大疾病等原因，导致基本生活暂时出现严重困难的家庭；\
                因生活必需支出突然增加超出家庭承受能力，导致基本生活暂时出现严重困难的最低生活保障家庭；\
                遭遇其他特殊困难的家庭；以及因遭遇意外事件等陷入生活困境、其他社会救助制度暂时无法覆盖的个人，\
                含非本地户籍的困难群众。
                """,
            process: """
                1. 申请：向户籍所在地或经常居住地乡镇人民政府（街道办事处）或县社会救助中心窗口提出申请；\
                本人申请有困难的，可委托村（居）民委员会或他人代为提出。
                2. 受理：材料齐全的受理；材料不全的一次性告知需补齐的全部材料。
                3. 审核：乡镇（街道）通过入户调查、邻里访问、信函索证和家庭经济状况核对等方式核实困难情形，\
                提出审核意见，在村（社区）公示（救助金额较小的可按规定简化公示）。
                4. 审批：县级民政部门（或经授权的乡镇人民政府、街道办事处）作出审批决定；不予批准的书面告知\
                申请人并说明理由。
                5. 发放：发放临时救助金或实物。
                紧急程序：情况紧急、需立即救助的，先行救助，48小时内解决急难问题，紧急情况解除后5个工作日内\
                补齐申请、审核、审批手续。
                """,
            reliefContent: """
                根据困难类型和程度，采取发放临时救助金、发放衣被食品饮用水等实物、提供临时住所等方式给予救助；\
                救助金额按当地规定标准和困难程度确定，原则上一次性发放。需要其他专项救助或公益慈善帮扶的，\
                及时转介至相关部门或慈善组织。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第九章；《国务院关于全面建立临时救助制度的通知》\
                （国发〔2014〕47号）；《江苏省社会救助办法》；本县（市、区）临时救助实施办法。
                """,
            timeLimitDays: 15,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "临时救助申请书",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印",
                        keyPoints: [
                            "写明遭遇困难的时间、原因、造成的支出或损失",
                            "如实填写家庭成员、收入和已获得的其他救助、保险赔付",
                            "申请人签字或按手印，注明日期",
                        ],
                        commonProblems: [
                            "未申报已获得的保险赔付、事故赔偿或其他救助",
                        ],
                        errorExamples: [
                            "交通事故已获对方赔偿，申请书未申报，按全部医疗费用核定救助金额",
                        ]
                    )
                ),
                idCard(of: "申请人及共同生活家庭成员"),
                householdRegister(
                    required: false, extraPoint: "非本地户籍人员在居住地申请的，提供居住证或经常居住地证明"
                ),
                authorization(),
                MaterialRequirement(
                    key: "hardship_evidence", name: "困难情形证明",
                    review: ReviewStandard(
                        form: "原件或复印件；复印件需与原件核对一致",
                        keyPoints: [
                            "因病的，提供诊断证明和医疗费用票据（医保结算后的个人自付部分）",
                            "因火灾、交通事故等意外的，提供消防、公安交管等部门出具的证明或事故认定书",
                            "证明材料反映的困难发生时间在当地规定的申请期限内",
                        ],
                        commonProblems: [
                            "只提供费用清单，无正式票据或医保结算单",
                            "事故证明无出具单位印章",
                        ],
                        errorExamples: [
                            "以两年前的住院费用票据申请本次临时救助",
                        ]
                    )
                ),
                bankAccount(),
            ]
        )
    )

    // MARK: - 社会力量参与

    private static let socialParticipation = Entry(
        code: "hongshizi", kind: .socialParticipation, departmentName: "红十字会",
        content: ItemContent(
            name: "红十字人道救助申请",
            targetGroup: """
                遭受自然灾害、意外事故或患重大疾病，经政府救助后基本生活仍有较大困难的家庭和个人，\
                重点是最低生活保障对象、特困人员、低保边缘家庭中的大病患者，以及困境儿童和残疾人。
                """,
            process: """
                1. 申请：向县社会救助中心红十字会窗口、乡镇（街道）红十字会或社会救助窗口提出申请；\
                也可由村（社区）、医院代为提出，或由政府救助部门转介。
                2. 受理：材料齐全的受理；材料不全的一次性告知需补齐的全部材料。
                3. 核实：乡镇（街道）、村（社区）协助核实困难情况和已获政府救助情况，必要时入户走访。
                4. 审核：县红十字会按救助项目条件和资金情况审核，确定救助方式和金额；不符合本会项目条件的，\
                转介至慈善总会、总工会等社会力量或相关救助部门。
                5. 公示与发放：救助结果在适当范围内公示，不公开个人隐私；救助款物发放到户，\
                捐赠款物使用情况登记备查。
                """,
            reliefContent: """
                统筹社会捐赠资金和物资开展人道救助：对大病患者给予医疗费用补助，对遭遇灾害或意外的困难家庭\
                发放救助金和生活物资，开展“博爱送万家”等节日慰问，链接慈善项目、志愿服务和心理疏导等服务。\
                社会力量救助与政府救助衔接，不替代法定救助。
                """,
            policyBasis: """
                《社会救助暂行办法》（国务院令第649号）第十章；《中华人民共和国红十字会法》；\
                《中华人民共和国慈善法》；红十字会救助项目管理规定及本县（市、区）社会力量参与社会救助相关政策。
                """,
            timeLimitDays: 20,
            materials: [
                MaterialRequirement(
                    key: "application_form", name: "人道救助申请表",
                    review: ReviewStandard(
                        form: "原件，需申请人签字或按手印；代为申请的由代办人签字并注明关系",
                        keyPoints: [
                            "写明困难原因、家庭基本情况和申请的救助内容",
                            "如实填写已获得的政府救助、医疗保险报销和其他社会捐助",
                        ],
                        commonProblems: [
                            "未申报已获得的网络筹款或其他慈善组织救助",
                        ],
                        errorExamples: [
                            "同一次住院已获慈善总会救助，申请表未申报，造成重复救助",
                        ]
                    )
                ),
                idCard(of: "申请人（代办的另附代办人）"),
                MaterialRequirement(
                    key: "hardship_evidence", name: "困难情况证明",
                    review: ReviewStandard(
                        form: "原件或复印件；复印件需与原件核对一致",
                        keyPoints: [
                            "因病的，提供诊断证明和医保结算后的医疗费用票据",
                            "因灾或意外的，提供村（居）委会证明或相关部门出具的事故证明",
                        ],
                        commonProblems: [
                            "诊断证明无医疗机构印章",
                        ],
                        errorExamples: [
                            "以尚未发生的预估手术费用作为已发生费用申请补助",
                        ]
                    )
                ),
                MaterialRequirement(
                    key: "assistance_record", name: "已获政府救助情况证明", required: false,
                    review: ReviewStandard(
                        form: "复印件，或经社会救助信息系统查询后打印的记录",
                        keyPoints: [
                            "核对申请人已获得的低保、特困、医疗救助、临时救助等情况",
                            "确认本次申请的费用未被政府救助全额覆盖",
                        ],
                        commonProblems: [
                            "未查询医疗救助记录，救助金额与政府救助重复",
                        ],
                        errorExamples: [
                            "医疗救助已按个人自付部分全额救助，仍以同一票据申请人道救助",
                        ]
                    )
                ),
                bankAccount(),
            ]
        )
    )

    // MARK: - Materials many items ask for

    private static func idCard(of whose: String, extraPoint: String? = nil) -> MaterialRequirement {
        MaterialRequirement(
            key: "id_card", name: "居民身份证",
            review: ReviewStandard(
                form: "复印件，窗口核验原件后留存，需与原件核对一致",
                keyPoints: [
                    "\(whose)均需提供，人像面和国徽面复印在同一页",
                    "证件在有效期内，姓名、公民身份号码与户口簿一致",
                ] + (extraPoint.map { [$0] } ?? []),
                commonProblems: [
                    "证件已过有效期，或为已失效的临时身份证",
                    "复印件模糊，号码或有效期限无法辨认",
                ],
                errorExamples: [
                    "只复印了人像面，缺少有效期限所在的国徽面，未发现证件已过期",
                ]
            )
        )
    }

    private static func householdRegister(required: Bool = true, extraPoint: String? = nil) -> MaterialRequirement {
        MaterialRequirement(
            key: "household_register", name: "户口簿", required: required,
            review: ReviewStandard(
                form: "复印件，含户主页和相关成员页，需与原件核对一致",
                keyPoints: [
                    "户主页和申请涉及的每名成员页均需复印",
                    "户籍地址、成员关系、婚姻状况与申请书填写一致",
                ] + (extraPoint.map { [$0] } ?? []),
                commonProblems: [
                    "缺少户主页或部分成员页",
                    "户口簿信息未及时变更（成员死亡、迁出、婚姻状况变化）",
                ],
                errorExamples: [
                    "户口簿上已去世的成员未注销，仍被计入家庭人口，导致人均收入算低",
                ]
            )
        )
    }

    private static func authorization(required: Bool = true, whenNeeded: String? = nil) -> MaterialRequirement {
        MaterialRequirement(
            key: "authorization", name: "家庭经济状况核查授权书", required: required,
            review: ReviewStandard(
                form: "原件，需申请人及共同生活家庭成员本人签字或按手印；无民事行为能力人由监护人签字",
                keyPoints: (whenNeeded.map { [$0] } ?? []) + [
                    "有完全民事行为能力的共同生活家庭成员每人均须本人签字或按手印",
                    "签名与身份证姓名一致，不得由他人代签",
                    "授权范围覆盖存款、不动产、车辆、工商登记、社会保险等核对事项",
                ],
                commonProblems: [
                    "外出务工的家庭成员未签字",
                    "一人代全家签字",
                ],
                errorExamples: [
                    "在外地务工的儿子未签授权书，窗口以“电话同意”代替并予受理",
                ]
            )
        )
    }

    private static func bankAccount() -> MaterialRequirement {
        MaterialRequirement(
            key: "bank_account", name: "社会保障卡或银行账户信息", required: false,
            review: ReviewStandard(
                form: "复印件，写明开户银行、户名和账号",
                keyPoints: [
                    "户名为申请人本人；无民事行为能力人可为其监护人",
                    "账户状态正常，可用于接收惠民惠农财政补贴资金“一卡通”发放",
                ],
                commonProblems: [
                    "提供他人账户",
                    "账号抄写错误或账户已销户",
                ],
                errorExamples: [
                    "账号最后一位抄错，救助金发放被银行退回",
                ]
            )
        )
    }
}
