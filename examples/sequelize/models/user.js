'use strict';
const { definePolicies, declareRoles } = require('pgpolicy/sequelize');

module.exports = function (sequelize, DataTypes) {
  const User = sequelize.define('User', {
    name: {
      type: DataTypes.STRING,
      allowNull: false,
    },
  });
  User.associate = function (models) {
    User.belongsTo(models.Tenant, {
      foreignKey: 'tenantId',
      as: 'tenant',
    });
  };

  // Row-level security, beside the model: each tenant sees only its own users.
  declareRoles(sequelize, ['app_user']);
  definePolicies(User, {
    policies: [
      {
        name: 'tenant_isolation',
        using: `"tenantId" = current_setting('app.current_tenant')::integer`,
      },
    ],
    // The application's role: not the owner, so the policy applies to it.
    grants: [{ role: 'app_user', privileges: ['SELECT'] }],
  });
  return User;
};
