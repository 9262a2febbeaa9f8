'use strict';
module.exports = function (sequelize, DataTypes) {
  const Tenant = sequelize.define('Tenant', {
    name: {
      type: DataTypes.STRING,
      allowNull: false,
    },
  });
  Tenant.associate = function (models) {
    Tenant.hasMany(models.User, {
      foreignKey: 'tenantId',
      as: 'Users',
    });
  };
  return Tenant;
};
